// SackScoreboard: merging SACK blocks into ranges, and the queries over them.
#include "stack/tcp/sack_scoreboard.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace tundra::tcp {

bool is_dsack(Seq ack, std::span<const std::pair<Seq, Seq>> blocks) {
  if (blocks.empty()) return false;
  const auto& [b, e] = blocks[0];
  if (e <= b) return false;
  if (b < ack) return true;
  return blocks.size() > 1 && blocks[1].first <= b && e <= blocks[1].second;
}

void SackScoreboard::update(Seq snd_una, Seq snd_nxt, std::span<const std::pair<Seq, Seq>> blocks) {
  advance(snd_una);
  // Measured from SND.UNA with signed distances, so a block from before a wrap reads as
  // negative instead of as far ahead.
  const int64_t flight = snd_nxt - snd_una;
  for (const auto& [begin, end] : blocks) {
    const int64_t b = begin - snd_una;
    const int64_t e = end - snd_una;
    if (b <= 0 || e <= b || e > flight) continue;
    add(begin, end);
  }
}

void SackScoreboard::add(Seq begin, Seq end) {
  // The ranges this block overlaps or touches merge with it into one.
  const auto lo = std::partition_point(ranges_.begin(), ranges_.end(),
                                       [&](const Range& r) { return r.end < begin; });
  const auto hi =
      std::partition_point(lo, ranges_.end(), [&](const Range& r) { return r.begin <= end; });
  Seq merged_begin = begin;
  Seq merged_end = end;
  if (lo != hi) {
    merged_begin = min(begin, lo->begin);
    merged_end = max(end, std::prev(hi)->end);
  }
  for (auto it = lo; it != hi; ++it)
    sacked_bytes_ -= distance(it->begin, it->end);
  const auto at = ranges_.erase(lo, hi);
  ranges_.insert(at, Range{merged_begin, merged_end});
  sacked_bytes_ += distance(merged_begin, merged_end);
  if (ranges_.size() > kMaxRanges) evict_one();
}

void SackScoreboard::evict_one() {
  // min_element keeps the first of equals, which is the lowest in sequence.
  const auto victim =
      std::min_element(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) {
        return distance(a.begin, a.end) < distance(b.begin, b.end);
      });
  sacked_bytes_ -= distance(victim->begin, victim->end);
  ranges_.erase(victim);
}

void SackScoreboard::advance(Seq snd_una) {
  const auto first_kept = std::partition_point(ranges_.begin(), ranges_.end(),
                                               [&](const Range& r) { return r.end <= snd_una; });
  for (auto it = ranges_.begin(); it != first_kept; ++it)
    sacked_bytes_ -= distance(it->begin, it->end);
  ranges_.erase(ranges_.begin(), first_kept);
  // A range SND.UNA cuts into keeps only its part above.
  if (!ranges_.empty() && ranges_.front().begin < snd_una) {
    sacked_bytes_ -= distance(ranges_.front().begin, snd_una);
    ranges_.front().begin = snd_una;
  }
  release_if_empty();
}

bool SackScoreboard::is_sacked(Seq s) const {
  const auto it = std::partition_point(ranges_.begin(), ranges_.end(),
                                       [&](const Range& r) { return r.end <= s; });
  return it != ranges_.end() && it->begin <= s;
}

std::optional<Seq> SackScoreboard::highest_sacked() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.back().end;
}

void SackScoreboard::clear() {
  ranges_.clear();
  sacked_bytes_ = 0;
  release_if_empty();
}

void SackScoreboard::release_if_empty() {
  // An idle connection holds no scoreboard storage.
  if (ranges_.empty() && ranges_.capacity() > 0) std::vector<Range>().swap(ranges_);
}

}  // namespace tundra::tcp
