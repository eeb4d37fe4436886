// PacketBuffer: one datagram's bytes with reserved header room in front, so each layer writes its
// header in place on the way down and strips it on the way up (DESIGN.md: reserve header room).
// Storage comes from small per-thread free lists, so the hot path does not touch the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace tundra {

// What a datagram carries besides its bytes for links with offloads (a TUN device with
// IFF_VNET_HDR): like Linux's skb checksum state and gso_size. Zero: none of it.
struct Offload {
  // Received: the device vouches for the transport checksum (the kernel's own, left partial), so
  // it need not be verified.
  bool checksum_unnecessary = false;
  // Sent: the transport checksum field holds only the pseudo-header sum; the device completes it
  // over the transport header and payload. checksum_offset is the field's offset from the start
  // of the transport header (16 for TCP).
  bool checksum_partial = false;
  uint16_t checksum_offset = 0;
  // Sent: a TCP segment larger than the MSS, to be cut into segments of this many payload bytes
  // by the device (TSO). 0: send as it is.
  uint16_t gso_size = 0;
};

class PacketBuffer {
 public:
  // Room for an IPv4 header (at most 60 bytes) and a TCP header (at most 60 bytes) in front.
  static constexpr size_t kHeadroom = 128;

  PacketBuffer() = default;
  PacketBuffer(PacketBuffer&& o) noexcept { swap(o); }
  PacketBuffer& operator=(PacketBuffer&& o) noexcept {
    PacketBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;
  ~PacketBuffer() { release(); }

  // An empty buffer with room for `capacity` bytes of content after `headroom` bytes.
  static PacketBuffer with_capacity(size_t capacity, size_t headroom = kHeadroom);
  // A buffer holding a copy of `bytes`, with `headroom` bytes free in front.
  static PacketBuffer copy_of(std::span<const std::byte> bytes, size_t headroom = kHeadroom);
  // A deep copy of this buffer (contents and header room).
  PacketBuffer clone() const;

  std::byte* data() { return mem_ + head_; }
  const std::byte* data() const { return mem_ + head_; }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  std::span<std::byte> bytes() { return {data(), len_}; }
  std::span<const std::byte> bytes() const { return {data(), len_}; }

  size_t headroom() const { return head_; }
  // Bytes of storage in all: header room, content and the room after it.
  size_t capacity() const { return cap_; }

  Offload& offload() { return offload_; }
  const Offload& offload() const { return offload_; }
  size_t tailroom() const { return cap_ - head_ - len_; }

  // Grows the content by `n` bytes at the front (into the header room) and returns them.
  std::span<std::byte> prepend(size_t n);
  // Grows the content by `n` bytes at the back and returns them.
  std::span<std::byte> append(size_t n);
  // Appends a copy of `bytes`.
  void append(std::span<const std::byte> bytes) {
    if (!bytes.empty()) std::memcpy(append(bytes.size()).data(), bytes.data(), bytes.size());
  }
  // Drops `n` bytes from the front (a header that has been parsed).
  void trim_front(size_t n);
  // Keeps only the first `n` bytes.
  void truncate(size_t n);

 private:
  void swap(PacketBuffer& o) noexcept;
  void release() noexcept;

  std::byte* mem_ = nullptr;
  size_t cap_ = 0;   // bytes of storage
  size_t head_ = 0;  // offset of the first content byte
  size_t len_ = 0;   // bytes of content
  Offload offload_;
};

}  // namespace tundra
