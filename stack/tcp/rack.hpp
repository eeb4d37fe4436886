// Rack: time-based loss detection for the sender, RACK of RFC 8985 6 (the TLP half is the
// connection's probe timer). A segment is lost once a segment sent after it has been delivered
// and a reordering window has passed beyond the round trip that delivery took: losses are told
// by when segments went, not by how many SACKed segments lie above them (RFC 6675's DupThresh),
// so a lost retransmission, or a run of losses at the end of a flight, is found as soon as
// anything sent later arrives. The connection records each data segment it sends and tells Rack
// of each ACK; it keeps one record per segment in flight while SACK is on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "stack/base/time.hpp"
#include "stack/tcp/seq.hpp"

namespace tundra::tcp {

class Rack {
 public:
  // Data [begin, end) went out at `now`: new data, or a retransmission of data sent before.
  // `snd_max` is the highest sequence number sent so far (with this segment): everything below
  // it that is still outstanding was sent before this segment (RFC 8985 6.1's xmit_ts order).
  void on_send(Seq begin, Seq end, bool retransmission, Seq snd_max, Instant now);
  // An acceptable ACK arrived: SND.UNA is now `una`, and `blocks` are its SACK blocks. Records
  // the segments it delivered and updates RACK.xmit_ts, RACK.end_seq and RACK.rtt from the most
  // recently sent of them (RFC 8985 6.2 steps 1-3). Returns whether any segment was delivered.
  // A block's edge inside a record splits it only `smss` bytes from its start, or a multiple of
  // that: where the device cut a large segment (TSO). An edge elsewhere is no segment of ours,
  // and the record it cuts is not taken as SACKed; so a peer's odd blocks cannot grow the
  // records beyond one per segment sent.
  // `echo_after`, with timestamps: a segment sent at or after it went after the one whose
  // timestamp the ACK echoes (its TSval is above the ACK's TSecr): a retransmission sent then
  // is not what the ACK acknowledges (RFC 8985 6.2 step 2, the TSecr check).
  bool on_ack(Seq una, std::span<const std::pair<Seq, Seq>> blocks, Instant now, size_t smss,
              std::optional<Instant> echo_after = std::nullopt);
  // An RTT sample the connection took: RACK.min_RTT is the least of them.
  void on_rtt_sample(Duration rtt) { min_rtt_ = min_rtt_ ? std::min(*min_rtt_, rtt) : rtt; }
  // RFC 8985 6.2 step 4: the reordering window. Zero while no reordering has been seen and loss
  // recovery is on, or DupThresh segments are SACKed; else RACK.reo_wnd_mult quarters of the
  // minimum RTT, at most SRTT.
  Duration reordering_window(bool in_recovery, std::optional<Duration> srtt) const;
  // RFC 8985 6.2 step 4's adaptation (RACK_update_reo_wnd()), on each ACK: one that carries a
  // D-SACK (RFC 2883: the peer got something twice) says a segment was resent for nothing, so
  // the window may be too small for the path's reordering. It grows by a quarter of the minimum
  // RTT once per round trip that brings a D-SACK (the round ends when SND.UNA passes what was
  // sent when it began: `snd_max` then). Returns whether it grew.
  bool update_reo_wnd(bool dsack, Seq una, Seq snd_max);
  // A fast recovery ended. After 16 of them without a D-SACK the window is back to its start:
  // reordering that has gone away no longer delays loss detection.
  void on_recovery_end();
  unsigned reo_wnd_mult() const { return reo_wnd_mult_; }
  int reo_wnd_persist() const { return reo_wnd_persist_; }
  // RFC 8985 6.2 step 5: marks lost every outstanding segment sent before RACK's segment whose
  // time plus RACK.rtt plus `reo_wnd` has passed. `marked`: the segments newly marked;
  // `recheck`: when the others sent before RACK's segment would all be lost if no ACK comes in
  // the meantime (the RFC's reordering timer, RACK_detect_loss()'s timeout), if there are any.
  struct Detection {
    size_t marked = 0;
    std::optional<Instant> recheck;
  };
  Detection detect_loss(Duration reo_wnd, Instant now);
  // The retransmission timer fired: what was SACKed or marked lost is forgotten with the
  // scoreboard (RFC 2018 5: the receiver may have reneged), and everything is sent again.
  void on_timeout();

  // The first segment marked lost and not yet retransmitted at or after `from`.
  struct Lost {
    Seq begin, end;
    bool retransmitted;  // what was lost was itself a retransmission
  };
  std::optional<Lost> next_lost(Seq from) const;
  // Bytes marked lost and not yet retransmitted: RFC 6675's pipe leaves them out.
  size_t lost_bytes() const { return lost_bytes_; }
  bool reordering_seen() const { return reordering_seen_; }
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  // Segments recorded and not yet cumulatively acknowledged.
  size_t tracked() const { return segs_.size() - head_; }
  // Storage held now, for memory accounting: none once everything is acknowledged.
  size_t allocated_bytes() const { return segs_.capacity() * sizeof(Segment); }

 private:
  // RFC 8985 6.1's per-segment state, for a run of bytes sent in one segment.
  struct Segment {
    Seq begin, end;
    Seq horizon;  // SND.MAX when it last went: what lies at or above was sent after it
    Instant xmit;
    uint64_t order;  // a count of sendings: which of two went later, even at the same instant
    bool retransmitted = false;
    bool sacked = false;
    bool lost = false;  // marked lost and not yet retransmitted
  };
  // RFC 8985 6.2's RACK_sent_after(). The RFC compares times, and sequence numbers for equal
  // times; a count of sendings says the same exactly, also for a retransmission that goes at the
  // same instant (the same clock reading, or a test's clock) as new data sent before it.
  static bool sent_after(uint64_t order1, uint64_t order2) { return order1 > order2; }
  // Index of the first record at or after head_ whose end is above `s`.
  size_t find(Seq s) const;
  // Makes `s` a record boundary if it falls inside one; returns the index of the record at `s`.
  size_t split_at(Seq s);
  // A segment was delivered (cumulatively or by SACK): it becomes `newest` (the most recently
  // sent segment this ACK delivered, the candidate for RACK's segment) if sent after it.
  void delivered(const Segment& seg, Instant now, std::optional<Instant> echo_after,
                 std::optional<Segment>& newest) const;
  void compact();

  std::vector<Segment> segs_;  // by sequence, disjoint; from head_ on; freed when all are acked
  size_t head_ = 0;
  size_t settled_ = 0;  // hint: records below it are SACKed or marked lost (detect_loss)
  size_t lost_bytes_ = 0;
  size_t sacked_segments_ = 0;
  // RACK.xmit_ts, RACK.end_seq and RACK.rtt, with the horizon of the segment they came from.
  bool have_rack_ = false;
  Instant rack_xmit_{};
  uint64_t rack_order_ = 0;
  Seq rack_horizon_;
  Duration rack_rtt_{};
  Seq fack_;  // RACK.fack: the highest end of a SACKed segment
  bool have_fack_ = false;
  bool reordering_seen_ = false;
  std::optional<Duration> min_rtt_;  // RACK.min_RTT
  // RFC 8985 6.2 step 4: RACK.reo_wnd_mult, RACK.reo_wnd_persist and RACK.dsack_round.
  unsigned reo_wnd_mult_ = 1;
  int reo_wnd_persist_ = 0;
  std::optional<Seq> dsack_round_;
  bool grew_ = false;  // update_reo_wnd() grew the window on the latest ACK
  uint64_t sendings_ = 0;
};

}  // namespace tundra::tcp
