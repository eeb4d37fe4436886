// The connection table: plain rows copied from a Tcp layer at one instant (like `ss -tin`), for
// the control socket (apps/common/control) to render outside the loop's lock, and for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/time.hpp"
#include "stack/tcp/tcp.hpp"

namespace tundra::tcp {

// Which timer a connection runs (connection.hpp's Timer, without the variant).
// The retransmission timer shows as what it is armed for: the RTO ("retransmit"), a tail loss
// probe ("probe") or RACK's reordering timer ("reorder").
enum class TimerKind : uint8_t { Idle, Retransmit, Probe, Reorder, Persist, TimeWait };
std::string_view to_string(TimerKind k);

// One connection, every number a plain value. Sequence numbers are relative: snd.* from ISS,
// rcv.nxt from IRS (Wireshark's "relative sequence numbers"; our SYN and FIN count as one each).
struct ConnectionRow {
  ConnId id = 0;
  State state = State::Closed;
  FourTuple tuple;
  uint32_t iss = 0;
  std::optional<uint32_t> irs;  // unknown until the peer's SYN arrived
  uint32_t snd_una_rel = 0, snd_nxt_rel = 0;
  std::optional<uint32_t> rcv_nxt_rel;  // with irs
  size_t snd_wnd = 0;                   // the peer's window, scaled
  size_t rcv_wnd = 0;                   // ours
  size_t mss = 0;
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool sack = false, timestamps = false;
  std::string cc;  // congestion control algorithm
  size_t cwnd = 0;
  std::optional<size_t> ssthresh;  // nullopt while "arbitrarily high" (RFC 5681 3.1)
  bool in_recovery = false;
  std::optional<Duration> srtt;  // nullopt before the first RTT sample
  Duration rttvar{0}, rto{0};
  size_t bytes_in_flight = 0;
  uint64_t retransmits = 0, fast_retransmits = 0, timeouts = 0;
  // RACK (RFC 8985 6.2 steps 3-4): whether the path was seen to reorder, the reordering window
  // now (outside recovery), and the ACKs that reported a duplicate (D-SACK, RFC 2883).
  bool reordering_seen = false;
  Duration reo_wnd{0};
  uint64_t dsacks_in = 0;
  uint64_t segments_in = 0, segments_out = 0, bytes_in = 0, bytes_out = 0;
  size_t send_queued = 0, recv_queued = 0;
  Duration age{0};
  TimerKind timer = TimerKind::Idle;
  std::optional<Duration> timer_in;  // until the timer fires (nullopt when idle)
};

struct ListenerRow {
  ListenerId id = 0;
  Endpoint local;
  size_t backlog = 0;    // accept queue capacity
  size_t half_open = 0;  // SYN-RECEIVED
  size_t queued = 0;     // established, waiting for accept()
};

// All rows of one pass over the layer: a consistent snapshot when taken under the loop's lock.
struct Table {
  Instant taken_at;
  std::vector<ConnectionRow> connections;
  std::vector<ListenerRow> listeners;
};

// ssthresh values at or above this are "infinite": no window can be that large (RFC 7323 2.3
// caps it at 2^30).
constexpr size_t kInfiniteSsthresh = size_t{1} << 32;

ConnectionRow connection_row(ConnId id, const Connection& c, Instant now);
// Copies every connection and listener; call under the loop's lock. No sorting, no formatting:
// order() and the renderers run after the lock is released.
Table snapshot(const Tcp& tcp, Instant now);
// Rows in id order (the order they were opened), so that repeated calls list them alike.
void order(Table& t);

}  // namespace tundra::tcp
