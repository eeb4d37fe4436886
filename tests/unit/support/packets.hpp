// Test helpers: build IPv4 datagrams (ICMP echo, UDP, raw) byte by byte with the wire/ emitters,
// and a CaptureLink that a test feeds datagrams into and reads the stack's output from.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <deque>
#include <string>
#include <vector>

#include "netif/link.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/udp.hpp"

namespace tundra::test {

using Bytes = std::vector<std::byte>;
namespace ipv4 = wire::ipv4;

inline Bytes bytes_of(std::string_view s) {
  Bytes b(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    b[i] = static_cast<std::byte>(s[i]);
  return b;
}

inline Bytes pattern(size_t n, unsigned seed = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::byte>((i * 31 + seed * 7 + 1) & 0xff);
  return b;
}

// A whole datagram: `h` (payload_len taken from the payload) followed by `payload`.
inline Bytes ip_datagram(ipv4::Repr h, const Bytes& payload) {
  h.payload_len = payload.size();
  Bytes out(ipv4::kMinHeaderLen + payload.size());
  h.emit(out);
  std::copy(payload.begin(), payload.end(), out.begin() + ipv4::kMinHeaderLen);
  return out;
}

inline ipv4::Repr ip_header(ipv4::Address src, ipv4::Address dst, ipv4::Protocol p) {
  ipv4::Repr h;
  h.src = src;
  h.dst = dst;
  h.protocol = static_cast<uint8_t>(p);
  h.ttl = 64;
  return h;
}

inline Bytes icmp_message(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data) {
  wire::icmp::Repr r{type, code, rest, data.size()};
  Bytes out(wire::icmp::kHeaderLen + data.size());
  std::copy(data.begin(), data.end(), out.begin() + wire::icmp::kHeaderLen);
  r.emit(out);
  return out;
}

inline Bytes echo_request(uint16_t id, uint16_t seq, const Bytes& data) {
  return icmp_message(8, 0, wire::icmp::Repr::echo_rest(id, seq), data);
}

inline Bytes udp_datagram(ipv4::Address src, uint16_t sport, ipv4::Address dst, uint16_t dport,
                          const Bytes& data) {
  wire::udp::Repr r{sport, dport, data.size(), true};
  Bytes out(wire::udp::kHeaderLen + data.size());
  std::copy(data.begin(), data.end(), out.begin() + wire::udp::kHeaderLen);
  r.emit(out, src, dst);
  return out;
}

// Splits `h`+`payload` into fragments of at most `chunk` payload bytes (a multiple of 8).
inline std::vector<Bytes> fragments(ipv4::Repr h, const Bytes& payload, size_t chunk) {
  std::vector<Bytes> out;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    const size_t n = std::min(chunk, payload.size() - off);
    ipv4::Repr f = h;
    f.frag_offset = off;
    f.more_fragments = off + n < payload.size();
    out.push_back(
        ip_datagram(f, Bytes(payload.begin() + long(off), payload.begin() + long(off + n))));
  }
  return out;
}

// A sockaddr_in for the facade's calls, and the cast they take it as.
inline sockaddr_in sin(ipv4::Address a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}
inline sockaddr* sa(sockaddr_in& s) {
  return reinterpret_cast<sockaddr*>(&s);
}

// A Link under the test's hand: inject() queues input, sent() holds everything transmitted.
class CaptureLink final : public netif::Link {
 public:
  explicit CaptureLink(size_t mtu = 1500) { caps_.mtu = mtu; }
  netif::LinkCaps caps() const override { return caps_; }
  std::optional<PacketBuffer> receive(Instant) override {
    if (in_.empty()) return std::nullopt;
    auto b = PacketBuffer::copy_of(in_.front());
    in_.pop_front();
    ++stats_.rx_packets;
    return b;
  }
  void transmit(PacketBuffer p, Instant) override {
    ++stats_.tx_packets;
    (hold_until_poll ? held_ : sent_).emplace_back(p.bytes().begin(), p.bytes().end());
  }
  // Like a TunLink with a TxThread: what is transmitted goes out at the next poll().
  void poll(Instant) override {
    for (auto& d : held_)
      sent_.push_back(std::move(d));
    held_.clear();
  }
  bool hold_until_poll = false;
  const netif::LinkStats& stats() const override { return stats_; }
  void report(CounterReport& out) const override {
    netif::report_link_stats("capture", stats_, out);
  }
  std::string describe() const override { return "capture"; }

  void inject(Bytes datagram) { in_.push_back(std::move(datagram)); }
  std::vector<Bytes> take_sent() { return std::exchange(sent_, {}); }

 private:
  netif::LinkCaps caps_;
  netif::LinkStats stats_;
  std::deque<Bytes> in_;
  std::vector<Bytes> sent_;
  std::vector<Bytes> held_;
};

}  // namespace tundra::test
