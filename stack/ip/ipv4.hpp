// IPv4 for one interface: input checks and reassembly (ipv4_input.cpp), output with fragmentation
// (ipv4_output.cpp). The stack hands it every datagram from the link and it hands back what is
// for a protocol; protocols hand it their segments to send.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "netif/link.hpp"
#include "stack/base/buffer.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/time.hpp"
#include "stack/ip/reassembly.hpp"
#include "stack/ip/route.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::ip {

struct Ipv4Config {
  wire::ipv4::Cidr address{wire::ipv4::Address(10, 0, 0, 2), 24};  // ours, with its on-link prefix
  std::optional<wire::ipv4::Address> gateway;                      // default route
  uint8_t ttl = 64;                                                // RFC 1700 default
  ReassemblyLimits reassembly;
  uint16_t first_ident = 0;  // where identification numbers start (seeded by the stack)
};

struct Ipv4Counters {
  uint64_t received = 0;   // datagrams from the link
  uint64_t delivered = 0;  // handed to a protocol (after reassembly)
  uint64_t truncated = 0, bad_version = 0, bad_header_len = 0, bad_total_len = 0, bad_checksum = 0,
           bad_fragment = 0, bad_source = 0;
  uint64_t not_for_us = 0;    // destination not ours nor a broadcast we accept
  uint64_t with_options = 0;  // received with options (skipped)
  uint64_t sent = 0;          // datagrams handed to the link (fragments counted singly)
  uint64_t fragmented = 0;    // datagrams we split
  uint64_t fragments_created = 0;
  uint64_t no_route = 0;    // output with no route to the destination
  uint64_t too_big_df = 0;  // output over the MTU with DF set
};

// What one received datagram turned out to be.
struct Delivery {
  wire::ipv4::Repr header;  // for reassembled datagrams: the first fragment's, offsets cleared
  PacketBuffer payload;     // the protocol's bytes (header room in front)
};

// Parameters of one outgoing datagram.
struct SendParams {
  wire::ipv4::Address src;  // unspecified: the interface address
  wire::ipv4::Address dst;
  uint8_t protocol = 0;
  std::optional<uint8_t> ttl;  // default from Ipv4Config
  bool dont_fragment = false;
};

enum class SendError { NoRoute, TooBig };

class Ipv4 {
 public:
  Ipv4(netif::Link& link, Ipv4Config config);

  // Checks a datagram from the link (RFC 791, RFC 1122 3.2.1) and returns what is for a protocol
  // on this host, after reassembly. Everything else is counted by reason and dropped.
  std::optional<Delivery> input(PacketBuffer datagram, Instant now);

  // Sends `payload` (a protocol's segment, with header room) to params.dst, fragmenting it when
  // it does not fit the link MTU (RFC 791 3.2). Returns what prevented it, if anything.
  std::optional<SendError> output(const SendParams& params, PacketBuffer payload, Instant now);

  // Reassembly timeouts. Returns the expired datagrams whose first fragment arrived, for ICMP.
  std::vector<Expired> poll(Instant now) { return reassembler_.poll(now); }
  std::optional<Instant> poll_at() const { return reassembler_.poll_at(); }

  // True for destinations this host accepts: its own address and the broadcasts of its prefix.
  bool accepts(wire::ipv4::Address dst) const;
  bool is_broadcast(wire::ipv4::Address dst) const;
  wire::ipv4::Address address() const { return config_.address.address; }
  const wire::ipv4::Cidr& cidr() const { return config_.address; }
  size_t mtu() const;
  Routes& routes() { return routes_; }
  const Ipv4Counters& counters() const { return counters_; }
  const Reassembler& reassembler() const { return reassembler_; }
  void report(CounterReport& out) const;

 private:
  void transmit(const wire::ipv4::Repr& header, PacketBuffer payload, Instant now);

  netif::Link& link_;
  Ipv4Config config_;
  Routes routes_;
  Reassembler reassembler_;
  Ipv4Counters counters_;
  uint16_t next_ident_;
};

}  // namespace tundra::ip
