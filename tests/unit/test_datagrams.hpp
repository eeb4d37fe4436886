// Numbered test datagrams for the link tests (memory link, pcap, fault injection): each carries
// its sequence number up front and a pattern derived from it, so order and content can be checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "netif/link.hpp"
#include "stack/base/buffer.hpp"

namespace tundra::netif::linktest {

// `size` bytes (at least 4): the big-endian sequence number, then bytes that depend on it.
inline PacketBuffer numbered(uint32_t seq, size_t size = 64) {
  PacketBuffer p = PacketBuffer::with_capacity(size);
  auto b = p.append(size);
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<std::byte>((seq * 31u + i * 7u) & 0xffu);
  b[0] = static_cast<std::byte>(seq >> 24);
  b[1] = static_cast<std::byte>(seq >> 16);
  b[2] = static_cast<std::byte>(seq >> 8);
  b[3] = static_cast<std::byte>(seq);
  return p;
}

inline uint32_t seq_of(const PacketBuffer& p) {
  const auto b = p.bytes();
  return static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 |
         static_cast<uint32_t>(b[2]) << 8 | static_cast<uint32_t>(b[3]);
}

inline std::vector<std::byte> contents(const PacketBuffer& p) {
  return {p.bytes().begin(), p.bytes().end()};
}

// Everything `link` has to give at `now`.
inline std::vector<PacketBuffer> drain(Link& link, Instant now) {
  std::vector<PacketBuffer> out;
  while (auto p = link.receive(now))
    out.push_back(std::move(*p));
  return out;
}

}  // namespace tundra::netif::linktest
