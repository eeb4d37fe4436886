// Link: carries whole IPv4 datagrams to and from the stack. TUN devices, in-memory pairs and the
// middleware that wraps any link (pcap, fault injection, tracing) all have this one shape, so any
// combination stacks (DESIGN.md: links are stackable). Called by the stack on the loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "stack/base/buffer.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/time.hpp"

namespace tundra::netif {

struct LinkCaps {
  size_t mtu = 1500;  // largest datagram the link carries, in bytes
  // Offloads (PacketBuffer::offload()): the link completes transport checksums left partial, and
  // cuts TCP segments of up to tso_max bytes (IP header included) at their gso_size. 0: no TSO.
  bool checksum_offload = false;
  size_t tso_max = 0;
};

// What every link counts. Middleware adds its own counters beside these.
struct LinkStats {
  uint64_t rx_packets = 0, rx_bytes = 0;  // handed up to the caller
  uint64_t tx_packets = 0, tx_bytes = 0;  // accepted from the caller and sent on
  uint64_t rx_errors = 0;                 // failed reads
  uint64_t tx_dropped = 0;                // could not be sent (queue full, too big, write error)
};

class Link {
 public:
  virtual ~Link() = default;

  virtual LinkCaps caps() const = 0;
  // Takes the next datagram that has arrived, if any. Never blocks.
  virtual std::optional<PacketBuffer> receive(Instant now) = 0;
  // Hands a datagram to the link for sending. Never blocks for long; what cannot be sent is
  // counted.
  virtual void transmit(PacketBuffer packet, Instant now) = 0;

  // Reads what has arrived into the link's own queue, for receive() to hand out. Called by the
  // event loop without its lock held (only the loop's thread calls receive()), so system calls
  // spent reading do not hold up application threads waiting for the lock. Optional.
  virtual void prefetch() {}
  // Lets the link move along what it holds (delay queues, a device's pending output).
  virtual void poll(Instant /*now*/) {}
  // The earliest instant at which poll() has work to do, if the link holds anything timed.
  virtual std::optional<Instant> poll_at() const { return std::nullopt; }
  // A file descriptor that becomes readable when receive() may return something; -1 if none.
  virtual int fd() const { return -1; }
  // True while output is waiting for fd() to become writable.
  virtual bool wants_writable() const { return false; }

  virtual const LinkStats& stats() const = 0;
  // Appends this link's counters (and, for middleware, those of the links it wraps) to `out`.
  virtual void report(CounterReport& out) const = 0;
  // A short description of the link chain, e.g. "pcap(out.pcap) > faults > tun(tun0)".
  virtual std::string describe() const = 0;
};

// Middleware: a Link that wraps another and forwards everything it does not change.
class LinkWrapper : public Link {
 public:
  explicit LinkWrapper(std::unique_ptr<Link> inner) : inner_(std::move(inner)) {}

  LinkCaps caps() const override { return inner_->caps(); }
  std::optional<PacketBuffer> receive(Instant now) override { return inner_->receive(now); }
  void transmit(PacketBuffer packet, Instant now) override {
    inner_->transmit(std::move(packet), now);
  }
  void prefetch() override { inner_->prefetch(); }
  void poll(Instant now) override { inner_->poll(now); }
  std::optional<Instant> poll_at() const override { return inner_->poll_at(); }
  int fd() const override { return inner_->fd(); }
  bool wants_writable() const override { return inner_->wants_writable(); }
  const LinkStats& stats() const override { return inner_->stats(); }
  void report(CounterReport& out) const override { inner_->report(out); }

  Link& inner() { return *inner_; }
  const Link& inner() const { return *inner_; }

 protected:
  std::unique_ptr<Link> inner_;
};

// Appends the counters every link keeps, as one group named `name`.
inline void report_link_stats(const std::string& name, const LinkStats& s, CounterReport& out) {
  CounterGroup g{name, {}};
  g.add("packets received", s.rx_packets);
  g.add("bytes received", s.rx_bytes);
  g.add("packets sent", s.tx_packets);
  g.add("bytes sent", s.tx_bytes);
  g.add("receive errors", s.rx_errors);
  g.add("packets dropped on output", s.tx_dropped);
  out.push_back(std::move(g));
}

// The earlier of two optional deadlines.
inline std::optional<Instant> earliest(std::optional<Instant> a, std::optional<Instant> b) {
  if (!a) return b;
  if (!b) return a;
  return *a < *b ? a : b;
}

}  // namespace tundra::netif
