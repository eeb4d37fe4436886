// UDP (RFC 768) for the host: the table of sockets, their receive and send queues, and demux of
// incoming datagrams by destination port. The stack feeds it input and drains its output in
// poll(); the socket facade calls the socket operations (always under the facade's lock).
#pragma once

#include <boost/intrusive/list.hpp>
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>

#include "stack/base/buffer.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/result.hpp"
#include "stack/ip/ipv4.hpp"
#include "stack/wire/udp.hpp"

namespace tundra::udp {

struct Endpoint {
  wire::ipv4::Address address;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

struct UdpConfig {
  size_t rcvbuf = 212992;  // bytes of queued input per socket, as Linux's default
  size_t sndbuf = 212992;  // bytes of queued output per socket
  uint16_t ephemeral_first = 49152, ephemeral_last = 65535;  // RFC 6335 6 dynamic ports
  uint64_t seed = 0;  // where ephemeral port search starts (RFC 6056 3.3.1 style)
};

struct UdpCounters {
  uint64_t received = 0, delivered = 0;
  uint64_t truncated = 0, bad_length = 0, bad_checksum = 0;
  uint64_t no_port = 0;      // no socket on the destination port
  uint64_t rcvbuf_full = 0;  // the socket's receive queue was full
  uint64_t sent = 0, send_failed = 0;
};

struct Datagram {
  Endpoint from;
  PacketBuffer payload;
};

using SocketId = uint32_t;

enum class InputResult { Delivered, NoListener, Malformed, QueueFull };

// Queue space charged per datagram on top of its payload, so empty datagrams are bounded too.
constexpr size_t kDatagramOverhead = 64;
// The largest payload one IPv4 datagram can carry.
constexpr size_t kMaxPayload =
    wire::ipv4::kMaxPacketLen - wire::ipv4::kMinHeaderLen - wire::udp::kHeaderLen;

class Udp {
 public:
  Udp(ip::Ipv4& ip, UdpConfig config = {});

  // Socket operations. Errors are errno values, as the facade reports them.
  SocketId open();
  int bind(SocketId id, Endpoint local);
  int connect(SocketId id, Endpoint peer);  // port 0 disconnects
  Result<size_t, int> send_to(SocketId id, std::optional<Endpoint> dst,
                              std::span<const std::byte> data);
  std::optional<Datagram> receive(SocketId id);
  void close(SocketId id);
  bool exists(SocketId id) const { return sockets_.contains(id); }
  bool readable(SocketId id) const;
  bool writable(SocketId id, size_t len) const;
  std::optional<Endpoint> local(SocketId id) const;
  std::optional<Endpoint> peer(SocketId id) const;
  int set_buffer(SocketId id, bool receive, size_t bytes);
  size_t buffer(SocketId id, bool receive) const;

  // A datagram for us; `datagram` starts at the UDP header. Moved from only when delivered, so
  // the caller can still quote it in an ICMP error.
  InputResult input(const wire::ipv4::Repr& ip_header, PacketBuffer& datagram);
  // Sends what sockets have queued.
  void poll(Instant now);
  bool has_output() const { return !pending_.empty(); }

  const UdpCounters& counters() const { return counters_; }
  void report(CounterReport& out) const;

 private:
  using Hook = boost::intrusive::list_member_hook<
      boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
  struct Outgoing {
    Endpoint to;
    PacketBuffer datagram;  // UDP payload with header room
  };
  struct Socket {
    Endpoint local;                // port 0 while unbound
    std::optional<Endpoint> peer;  // set by connect()
    std::deque<Datagram> rx;
    std::deque<Outgoing> tx;
    size_t rx_bytes = 0, tx_bytes = 0;
    size_t rcvbuf, sndbuf;
    Hook pending_hook;  // linked while tx is non-empty
  };
  using PendingList =
      boost::intrusive::list<Socket,
                             boost::intrusive::member_hook<Socket, Hook, &Socket::pending_hook>,
                             boost::intrusive::constant_time_size<false>>;

  Socket* find(SocketId id);
  const Socket* find(SocketId id) const;
  std::optional<uint16_t> pick_ephemeral_port();
  int bind_locked(Socket& s, Endpoint local);

  ip::Ipv4& ip_;
  UdpConfig config_;
  std::unordered_map<SocketId, Socket> sockets_;
  std::map<uint16_t, SocketId> ports_;  // bound local port → socket
  PendingList pending_;                 // sockets with queued output, in the order they queued
  SocketId next_id_ = 1;
  std::mt19937_64 rng_;
  UdpCounters counters_;
};

}  // namespace tundra::udp
