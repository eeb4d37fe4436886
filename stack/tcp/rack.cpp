// Rack: the per-segment records and RFC 8985 6.2's steps over them.
#include "stack/tcp/rack.hpp"

#include <algorithm>

namespace tundra::tcp {

namespace {
// RFC 6675 2's DupThresh, which RFC 8985 6.2 step 4 compares the SACKed segments with.
constexpr size_t kDupThresh = 3;
constexpr unsigned kMaxReoWndMult = 255;
}  // namespace

size_t Rack::find(Seq s) const {
  const auto it = std::partition_point(segs_.begin() + static_cast<std::ptrdiff_t>(head_),
                                       segs_.end(), [&](const Segment& g) { return g.end <= s; });
  return static_cast<size_t>(it - segs_.begin());
}

size_t Rack::split_at(Seq s) {
  const size_t i = find(s);
  if (i == segs_.size() || segs_[i].begin >= s) return i;
  // `s` lies inside record i: it becomes [begin, s) and [s, end), both with its state. Records
  // are whole segments unless the device cut them (TSO) or a retransmission took part of one.
  Segment tail = segs_[i];
  tail.begin = s;
  segs_[i].end = s;
  if (tail.sacked) ++sacked_segments_;
  segs_.insert(segs_.begin() + static_cast<std::ptrdiff_t>(i) + 1, tail);
  settled_ = std::min(settled_, i);
  return i + 1;
}

void Rack::on_send(Seq begin, Seq end, bool retransmission, Seq snd_max, Instant now) {
  if (end <= begin) return;
  if (!retransmission) {
    if (head_ == segs_.size() || segs_.back().end <= begin) {
      segs_.push_back(Segment{begin, end, max(end, snd_max), now, ++sendings_});
      return;
    }
    // New data below what is recorded cannot happen (SND.MAX only grows); treat it as resent.
  }
  // A retransmission: the records it covers go again now, and are no longer lost.
  size_t i = split_at(begin);
  const size_t last = split_at(end);
  ++sendings_;
  for (; i < last; ++i) {
    Segment& g = segs_[i];
    if (g.lost) lost_bytes_ -= distance(g.begin, g.end);
    g.lost = false;
    g.retransmitted = true;
    g.xmit = now;
    g.order = sendings_;
    g.horizon = max(snd_max, end);
    settled_ = std::min(settled_, i);
  }
}

void Rack::delivered(const Segment& seg, Instant now, std::optional<Instant> echo_after,
                     std::optional<Segment>& newest) const {
  const Duration rtt = now - seg.xmit;
  // RFC 8985 6.2 step 2: an ACK that echoes a timestamp from before the retransmission, or that
  // came sooner than the path allows, answers an earlier sending of the segment and says
  // nothing of when the retransmission went. (A segment late by more than the minimum RTT, its
  // resend, then the ACK of the original: taken as the resend's, it dated every segment sent
  // before the resend and not yet delivered as lost, 808 of them at once behind a 1 ms delay.)
  if (seg.retransmitted && echo_after && seg.xmit >= *echo_after) return;
  if (seg.retransmitted && min_rtt_ && rtt < *min_rtt_) return;
  if (!newest || sent_after(seg.order, newest->order)) newest = seg;
}

bool Rack::on_ack(Seq una, std::span<const std::pair<Seq, Seq>> blocks, Instant now, size_t smss,
                  std::optional<Instant> echo_after) {
  smss = std::max<size_t>(smss, 1);
  const auto on_segment_edge = [&](size_t i, Seq s) {
    return distance(segs_[i].begin, s) % smss == 0;
  };
  std::optional<Segment> newest;
  bool any = false;
  // Cumulatively acknowledged: delivered now unless SACKed before.
  while (head_ < segs_.size() && segs_[head_].end <= una) {
    const Segment& g = segs_[head_];
    if (g.lost) lost_bytes_ -= distance(g.begin, g.end);
    if (g.sacked) {
      --sacked_segments_;
    } else {
      // RFC 8985 6.2 step 3, cumulatively: a segment never resent, acknowledged below one an
      // earlier ACK SACKed, arrived out of order (a peer that holds one segment back a little
      // SACKs the next, then ACKs both).
      if (!g.retransmitted && have_fack_ && g.end < fack_) reordering_seen_ = true;
      delivered(g, now, echo_after, newest);
      any = true;
    }
    ++head_;
  }
  if (head_ < segs_.size() && segs_[head_].begin < una) {
    Segment& g = segs_[head_];
    if (g.lost) lost_bytes_ -= distance(g.begin, una);
    g.begin = una;
  }
  if (have_fack_ && fack_ <= una) have_fack_ = false;
  settled_ = std::max(settled_, head_);
  // Selectively acknowledged (RFC 2018): blocks outside what is recorded are ignored.
  std::optional<Seq> fack = have_fack_ ? std::optional<Seq>(fack_) : std::nullopt;
  for (const auto& [b, e] : blocks) {
    if (head_ == segs_.size() || e <= b || e <= segs_[head_].begin || b >= segs_.back().end)
      continue;
    // [i, last): the records the block covers whole, after splitting at its edges.
    const Seq lo = max(b, segs_[head_].begin), hi = min(e, segs_.back().end);
    size_t i = find(lo);
    if (segs_[i].begin < lo) i = on_segment_edge(i, lo) ? split_at(lo) : i + 1;
    size_t last = find(hi);
    if (last < segs_.size() && segs_[last].begin < hi && on_segment_edge(last, hi))
      last = split_at(hi);
    for (; i < last; ++i) {
      Segment& g = segs_[i];
      if (g.sacked) continue;
      g.sacked = true;
      ++sacked_segments_;
      if (g.lost) lost_bytes_ -= distance(g.begin, g.end);
      g.lost = false;
      // RFC 8985 6.2 step 3: a segment never resent, SACKed below one SACKed by an earlier ACK,
      // arrived out of order. (Within one ACK the blocks come newest first, not in order.)
      if (!g.retransmitted && have_fack_ && g.end < fack_) reordering_seen_ = true;
      if (!fack || g.end > *fack) fack = g.end;
      delivered(g, now, echo_after, newest);
      any = true;
    }
  }
  if (fack) {
    fack_ = *fack;
    have_fack_ = true;
  }
  if (newest) {
    rack_rtt_ = now - newest->xmit;
    if (!have_rack_ || sent_after(newest->order, rack_order_)) {
      have_rack_ = true;
      rack_xmit_ = newest->xmit;
      rack_order_ = newest->order;
      rack_horizon_ = newest->horizon;
    }
  }
  compact();
  return any;
}

Duration Rack::reordering_window(bool in_recovery, std::optional<Duration> srtt) const {
  if (!reordering_seen_ && (in_recovery || sacked_segments_ >= kDupThresh)) return Duration{0};
  if (!min_rtt_) return Duration{0};
  Duration w = *min_rtt_ / 4 * reo_wnd_mult_;
  if (srtt) w = std::min(w, *srtt);
  return w;
}

bool Rack::update_reo_wnd(bool dsack, Seq una, Seq snd_max) {
  grew_ = false;
  if (dsack_round_ && una >= *dsack_round_) dsack_round_.reset();
  if (!dsack_round_ && dsack) {
    dsack_round_ = snd_max;
    // Bounded (SRTT bounds the window anyway): a peer that reports a duplicate every round
    // cannot push the product past what a Duration holds.
    reo_wnd_mult_ = std::min(reo_wnd_mult_ + 1, kMaxReoWndMult);
    reo_wnd_persist_ = 16;
    grew_ = true;
  }
  return grew_;
}

void Rack::on_recovery_end() {
  // The RFC's `else`: not on the ACK that grew the window.
  if (grew_) return;
  if (--reo_wnd_persist_ <= 0) {
    reo_wnd_persist_ = 0;
    reo_wnd_mult_ = 1;
  }
}

Rack::Detection Rack::detect_loss(Duration reo_wnd, Instant now) {
  Detection d;
  if (!have_rack_) return d;
  size_t i = std::max(settled_, head_);
  // Records below settled_ are SACKed or marked lost; move the hint over those found here.
  bool all_settled = true;
  for (; i < segs_.size() && segs_[i].begin < rack_horizon_; ++i) {
    Segment& g = segs_[i];
    if (g.sacked || g.lost) {
      if (all_settled) settled_ = i + 1;
      continue;
    }
    if (!sent_after(rack_order_, g.order)) {
      all_settled = false;
      continue;
    }
    // RFC 8985 6.2 step 5: lost once RACK.rtt plus the reordering window has passed since it
    // went; until then, the reordering timer waits for the last of them.
    const Instant due = g.xmit + rack_rtt_ + reo_wnd;
    if (due <= now) {
      g.lost = true;
      lost_bytes_ += distance(g.begin, g.end);
      ++d.marked;
      if (all_settled) settled_ = i + 1;
    } else {
      d.recheck = d.recheck ? std::max(*d.recheck, due) : due;
      all_settled = false;
    }
  }
  return d;
}

void Rack::on_timeout() {
  for (size_t i = head_; i < segs_.size(); ++i) {
    segs_[i].sacked = false;
    segs_[i].lost = false;
  }
  lost_bytes_ = 0;
  sacked_segments_ = 0;
  settled_ = head_;
  have_fack_ = false;
}

std::optional<Rack::Lost> Rack::next_lost(Seq from) const {
  if (lost_bytes_ == 0) return std::nullopt;
  for (size_t i = std::max(find(from), head_); i < segs_.size(); ++i)
    if (segs_[i].lost) return Lost{max(segs_[i].begin, from), segs_[i].end, segs_[i].retransmitted};
  return std::nullopt;
}

void Rack::compact() {
  if (head_ == segs_.size()) {
    // Everything acknowledged: an idle connection holds no records.
    std::vector<Segment>().swap(segs_);
    head_ = settled_ = 0;
    have_rack_ = have_fack_ = false;
    return;
  }
  if (head_ >= 64 && head_ * 2 >= segs_.size()) {
    segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_));
    settled_ -= std::min(settled_, head_);
    head_ = 0;
  }
}

}  // namespace tundra::tcp
