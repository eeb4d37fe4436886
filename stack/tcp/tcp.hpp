// Tcp: the TCP layer of one stack. Demultiplexes segments to connections by their 4-tuple (two
// identical 4-tuples never coexist), runs listeners with bounded SYN and accept queues, answers
// segments for no connection with RST (RFC 9293 3.10.7.1), keeps timers in deadline order so
// poll() never scans every connection, and caps TIME-WAIT entries. The socket facade calls the
// application operations under the loop's lock; the stack calls input() and poll().
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "stack/base/counters.hpp"
#include "stack/base/result.hpp"
#include "stack/base/token_bucket.hpp"
#include "stack/ip/ipv4.hpp"
#include "stack/tcp/config.hpp"
#include "stack/tcp/connection.hpp"
#include "stack/tcp/isn.hpp"

namespace tundra::tcp {

struct Endpoint {
  wire::ipv4::Address address;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

using ConnId = uint32_t;
using ListenerId = uint32_t;

struct TcpCounters {
  uint64_t segments_in = 0, segments_out = 0;
  uint64_t bad_checksum = 0, malformed = 0;
  uint64_t resets_sent = 0, resets_in = 0;
  uint64_t no_connection = 0;  // segments for no connection or listener (answered with RST)
  uint64_t syn_queue_full = 0, accept_queue_full = 0;
  uint64_t active_opens = 0, passive_opens = 0;
  uint64_t established_resets = 0;  // connections reset while established
  uint64_t time_wait_recycled = 0;  // TIME-WAIT entries dropped early by the cap or a new SYN
  uint64_t retransmits = 0;         // from connections that have ended, plus live ones on report
  uint64_t timeouts = 0, fast_retransmits = 0, zero_window_probes = 0;  // likewise
  uint64_t rack_lost = 0, spurious_timeouts = 0;                        // likewise
  uint64_t dsacks_in = 0, reo_wnd_grown = 0, spurious_recoveries = 0;   // likewise
  uint64_t out_of_order_in = 0, duplicates_in = 0, not_stored_in = 0;   // likewise
  uint64_t kept_in = 0;  // segments whose text stayed in its datagram (RecvBuffer::insert)
};

class Tcp final : public SegmentSink {
 public:
  Tcp(ip::Ipv4& ip, TcpConfig config, uint64_t seed);
  ~Tcp() override;

  // Application operations (errno values on failure).
  Result<ConnId, int> connect(std::optional<Endpoint> local, Endpoint remote, Instant now);
  Result<ListenerId, int> listen(Endpoint local, int backlog);
  std::optional<ConnId> accept(ListenerId id);
  bool acceptable(ListenerId id) const;  // a connection is waiting in the accept queue
  bool listener_exists(ListenerId id) const;
  void close_listener(ListenerId id, Instant now);
  Connection* find(ConnId id);
  const Connection* find(ConnId id) const;
  // The application is done with the connection: it closes gracefully (or with RST when `abort`)
  // and its slot is freed once the protocol is finished with it.
  void release(ConnId id, bool abort, Instant now);
  // The application acted on the connection (send, recv, shutdown): run its output next poll.
  void touch(ConnId id);
  // Runs the connection's output now, on the caller's thread (under the loop's lock), as Linux's
  // send() pushes: a write to an idle connection leaves at once instead of after the loop's next
  // wake-up, so a second small write finds the first in flight and Nagle's rule applies to it.
  void push(ConnId id, Instant now);
  bool port_in_use(uint16_t port) const;
  std::optional<Endpoint> listener_endpoint(ListenerId id) const;

  // Stack side.
  void input(const wire::ipv4::Repr& ip_header, PacketBuffer& segment, Instant now);
  void poll(Instant now);
  std::optional<Instant> poll_at() const;
  bool has_output() const { return !dirty_.empty(); }
  // A batch of datagrams read from the link in one go: between these, connections hold back
  // their routine ACKs (Connection::set_coalescing), which end_batch() leaves for poll() to send,
  // one per connection instead of one per second segment.
  void begin_batch() { batching_ = true; }
  void end_batch() { batching_ = false; }

  // SegmentSink: connections' segments go out through IPv4 here.
  void send(const FourTuple& tuple, OutSegment segment, Instant now) override;

  const TcpConfig& config() const { return config_; }
  // Connections created from now on report their events to `sink` (nullptr: no tracing).
  void set_trace(TraceSink* sink) { trace_ = sink; }
  const TcpCounters& counters() const { return counters_; }
  size_t connection_count() const { return conns_.size(); }
  size_t time_wait_count() const { return time_wait_.size(); }
  void report(CounterReport& out) const;
  // Visits every connection (for tables and tests).
  template <class F>
  void for_each(F f) const {
    for (const auto& [id, e] : conns_)
      f(id, e->conn);
  }
  // What the connection table shows of a listener.
  struct ListenerInfo {
    Endpoint local;
    size_t backlog = 0;    // accept queue capacity
    size_t half_open = 0;  // SYN-RECEIVED connections
    size_t queued = 0;     // established, waiting for accept()
  };
  // Visits every listener, in id order.
  template <class F>
  void for_each_listener(F f) const {
    for (const auto& [id, l] : listeners_)
      f(id, ListenerInfo{l.local, l.backlog, l.half_open, l.accept_queue.size()});
  }

 private:
  struct Entry {
    Entry(const TcpConfig& c, FourTuple t, Seq iss, size_t mtu) : conn(c, t, iss, mtu) {}
    Connection conn;
    bool app_owned = false;              // a descriptor refers to it
    std::optional<ListenerId> listener;  // half-open or waiting for accept()
    bool queued = false;                 // in the listener's accept queue
    std::optional<Instant> scheduled;    // its key in timers_
    State last_state = State::Closed;
    bool counted = false;  // its stats are in counters_ (once, when it finished)
  };
  struct Listener {
    Endpoint local;
    size_t backlog = 0;
    size_t half_open = 0;
    std::deque<ConnId> accept_queue;
  };
  struct TupleHash {
    size_t operator()(const FourTuple& t) const;
  };

  Entry* entry(ConnId id);
  // A new connection on `tuple` with its ISN, in the demux table.
  ConnId create(const FourTuple& tuple, Instant now);
  void after(ConnId id, Instant now);  // bookkeeping after any event: states, timers, freeing
  void remove(ConnId id);
  void reschedule(ConnId id, Entry& e);
  void fold_stats(Entry& e);  // a finished connection's stats into counters_, once
  void send_reset_for(const wire::ipv4::Repr& ip, const wire::tcp::Repr& seg, size_t payload_len,
                      Instant now);
  std::optional<uint16_t> ephemeral_port(wire::ipv4::Address remote, uint16_t remote_port);
  Listener* listener_for(wire::ipv4::Address dst, uint16_t port, ListenerId* id);

  ip::Ipv4& ip_;
  TcpConfig config_;
  IsnGenerator isn_;
  std::mt19937_64 rng_;
  TokenBucket challenge_budget_;
  std::unordered_map<ConnId, std::unique_ptr<Entry>> conns_;
  std::unordered_map<FourTuple, ConnId, TupleHash> demux_;
  std::map<ListenerId, Listener> listeners_;
  std::map<uint16_t, ListenerId> listen_ports_;
  std::set<std::pair<Instant, ConnId>> timers_;  // deadline order: poll() takes only what is due
  std::vector<ConnId> dirty_;
  std::vector<ConnId> dirty_spare_;  // poll()'s copy of dirty_, kept for its capacity
  bool batching_ = false;            // between begin_batch() and end_batch()
  std::deque<ConnId> time_wait_;     // in the order they entered TIME-WAIT
  ConnId next_conn_ = 1;
  ListenerId next_listener_ = 1;
  TcpCounters counters_;
  TraceSink* trace_ = nullptr;
};

}  // namespace tundra::tcp
