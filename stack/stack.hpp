// Stack: one interface's protocols tied together over one Link. poll() moves everything one step:
// datagrams from the link up through IPv4 to ICMP, UDP and TCP, timers, and queued socket output
// down to the link. No I/O of its own beyond the Link, no clock: `now` comes from the caller.
#pragma once

#include <cstdint>
#include <optional>

#include "netif/link.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/time.hpp"
#include "stack/icmp/icmp.hpp"
#include "stack/ip/ipv4.hpp"
#include "stack/tcp/tcp.hpp"
#include "stack/udp/udp.hpp"

namespace tundra {

struct StackConfig {
  ip::Ipv4Config ipv4;
  icmp::IcmpConfig icmp;
  udp::UdpConfig udp;
  tcp::TcpConfig tcp;
  uint64_t seed = 0;      // identification numbers and ephemeral ports start from it
  size_t rx_batch = 256;  // datagrams read from the link in one poll before timers run
};

// What one poll() did, so the loop knows whether to wake socket waiters.
struct PollResult {
  size_t received = 0;           // datagrams read from the link
  bool socket_activity = false;  // data arrived for a socket or queued output was sent
  bool more = false;             // the read batch filled up: input may be waiting still
};

class Stack {
 public:
  Stack(netif::Link& link, StackConfig config);

  PollResult poll(Instant now);
  // Hands the link what was sent outside poll(), by the socket calls that send at once
  // (connect, a send with nothing in flight, close): a link that collects a round's datagrams
  // (TunLink with a TxThread) sends them now instead of at the next round.
  void flush_output(Instant now) { link_.poll(now); }
  // The earliest instant poll() has timed work; nullopt when only new input can wake it.
  std::optional<Instant> poll_at() const;

  // Processes one datagram as if it had just been read from the link.
  bool handle(PacketBuffer datagram, Instant now);

  ip::Ipv4& ipv4() { return ipv4_; }
  icmp::Icmp& icmp() { return icmp_; }
  udp::Udp& udp() { return udp_; }
  tcp::Tcp& tcp() { return tcp_; }
  const tcp::Tcp& tcp() const { return tcp_; }
  netif::Link& link() { return link_; }
  const ip::Ipv4& ipv4() const { return ipv4_; }
  const udp::Udp& udp() const { return udp_; }

  // All counters: the stack's layers, then the link chain.
  CounterReport report() const;

 private:
  netif::Link& link_;
  StackConfig config_;
  ip::Ipv4 ipv4_;
  icmp::Icmp icmp_;
  udp::Udp udp_;
  tcp::Tcp tcp_;
  uint64_t unknown_protocol_ = 0;
};

}  // namespace tundra
