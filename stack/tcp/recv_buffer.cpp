// RecvBuffer: merging out-of-order data, advancing RCV.NXT, reading, and ordering SACK blocks.
#include "stack/tcp/recv_buffer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>

namespace tundra::tcp {

namespace {
// Below this a copy is cheap, and the chunk store packs small segments densely.
constexpr size_t kKeepMin = ChunkStore::kChunkSize;
}  // namespace

bool RecvBuffer::worth_keeping(const PacketBuffer& owner, std::span<const std::byte> data) {
  const auto* first = owner.data();
  return data.size() >= kKeepMin && 2 * data.size() >= owner.capacity() && data.data() >= first &&
         data.data() + data.size() <= first + owner.size();
}

size_t RecvBuffer::insert(size_t offset, std::span<const std::byte> data, PacketBuffer* owner) {
  // RFC 9293 3.10.7.4: only what fits in the window is taken; the peer resends the rest.
  const size_t wnd = window();
  if (data.empty() || offset >= wnd) return 0;
  const uint64_t begin = nxt_ + offset;
  const uint64_t end = begin + std::min(data.size(), wnd - offset);

  // The held ranges this segment overlaps or touches: they all merge with it.
  const auto lo =
      std::partition_point(ooo_.begin(), ooo_.end(), [&](const Range& r) { return r.end < begin; });
  const auto hi =
      std::partition_point(lo, ooo_.end(), [&](const Range& r) { return r.begin <= end; });
  const size_t merging = static_cast<size_t>(hi - lo);
  const bool in_order = begin == nxt_;

  // In-order data joins the readable prefix and takes the touched ranges with it, so it never
  // adds a range; out-of-order data replaces the ranges it touches by one. A peer spraying tiny
  // segments across the window must not grow the range list (and the SACK bookkeeping) without
  // bound: drop the segment, it will be retransmitted.
  if (!in_order && ooo_.size() - merging + 1 > max_ooo_ranges_) return 0;

  size_t replaced = 0;  // out-of-order bytes in the ranges being merged
  if (in_order && merging == 0 && owner != nullptr && end - begin == data.size() &&
      worth_keeping(*owner, data)) {
    // The whole segment becomes readable on its own: keep its datagram rather than copy it.
    const auto off = static_cast<size_t>(data.data() - owner->data());
    kept_bytes_ += owner->capacity();
    kept_.push_back(Kept{begin, end, std::move(*owner), off});
  } else {
    // Store only the gaps between held ranges: where they overlap, the bytes already held win
    // (RFC 9293 3.10.7.4 leaves the choice open; keeping them means a segment is never
    // rewritten after it was SACKed).
    uint64_t pos = begin;
    for (auto it = lo; it != hi; ++it) {
      if (it->begin > pos)
        store_.write(pos, data.subspan(static_cast<size_t>(pos - begin),
                                       static_cast<size_t>(it->begin - pos)));
      pos = std::max(pos, it->end);
      replaced += static_cast<size_t>(it->end - it->begin);
    }
    if (pos < end)
      store_.write(pos,
                   data.subspan(static_cast<size_t>(pos - begin), static_cast<size_t>(end - pos)));
  }

  const uint64_t merged_begin = merging > 0 ? std::min(begin, lo->begin) : begin;
  const uint64_t merged_end = merging > 0 ? std::max(end, std::prev(hi)->end) : end;
  ooo_bytes_ -= replaced;
  const auto at = ooo_.erase(lo, hi);
  if (in_order) {
    // Held ranges start above RCV.NXT, so the merged block starts at it.
    assert(merged_begin == nxt_);
    nxt_ = merged_end;
    return static_cast<size_t>(merged_end - begin);
  }
  ooo_.insert(at, Range{merged_begin, merged_end, ++arrivals_});
  ooo_bytes_ += static_cast<size_t>(merged_end - merged_begin);
  return 0;
}

void RecvBuffer::copy_out(uint64_t pos, std::span<std::byte> out) const {
  auto it = kept_.begin();
  size_t done = 0;
  while (done < out.size()) {
    while (it != kept_.end() && it->end <= pos)
      ++it;
    const size_t want = out.size() - done;
    size_t n;
    if (it != kept_.end() && it->begin <= pos) {
      n = static_cast<size_t>(std::min<uint64_t>(want, it->end - pos));
      std::memcpy(out.data() + done, it->buf.data() + it->off + (pos - it->begin), n);
    } else {
      // Up to the next kept datagram, if it starts within what is wanted.
      n = it != kept_.end() ? static_cast<size_t>(std::min<uint64_t>(want, it->begin - pos)) : want;
      store_.read(pos, out.subspan(done, n));
    }
    done += n;
    pos += n;
  }
}

size_t RecvBuffer::peek(std::span<std::byte> out) const {
  const size_t n = std::min(out.size(), readable());
  copy_out(read_pos_, out.first(n));
  return n;
}

size_t RecvBuffer::read(std::span<std::byte> out) {
  const size_t n = peek(out);
  read_pos_ += n;
  release_storage();
  return n;
}

size_t RecvBuffer::discard(size_t max) {
  const size_t n = std::min(max, readable());
  read_pos_ += n;
  release_storage();
  return n;
}

void RecvBuffer::release_storage() {
  size_t done = 0;
  while (done < kept_.size() && kept_[done].end <= read_pos_)
    kept_bytes_ -= kept_[done++].buf.capacity();
  kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(done));
  if (kept_.empty() && kept_.capacity() > 0) std::vector<Kept>().swap(kept_);
  // Live bytes start at the first unread one, or, with nothing readable, at the first held
  // out-of-order byte; chunks wholly before that go back.
  uint64_t live = read_pos_;
  if (readable() == 0) live = ooo_.empty() ? ChunkStore::kNothingLive : ooo_.front().begin;
  store_.release(read_pos_, live);
  if (ooo_.empty() && ooo_.capacity() > 0) std::vector<Range>().swap(ooo_);
}

std::vector<SackRange> RecvBuffer::sack_ranges(size_t max, size_t skip) const {
  // RFC 2018 4: the first block MUST hold the segment that triggered this ACK, and the rest
  // SHOULD repeat the most recently reported first blocks. A range's `touched` is when it last
  // took a segment, i.e. when it was last (or would have been) the first block, so ordering by
  // it gives both. Merged ranges carry the newest arrival, so no block is a subset of another.
  std::vector<const Range*> order;
  order.reserve(ooo_.size());
  for (const Range& r : ooo_)
    order.push_back(&r);
  if (skip >= order.size()) return {};
  const size_t n = std::min(max, order.size() - skip);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(skip + n),
                    order.end(),
                    [](const Range* a, const Range* b) { return a->touched > b->touched; });
  std::vector<SackRange> out;
  out.reserve(n);
  for (size_t i = skip; i < skip + n; ++i)
    out.push_back(SackRange{static_cast<size_t>(order[i]->begin - nxt_),
                            static_cast<size_t>(order[i]->end - nxt_)});
  return out;
}

std::optional<SackRange> RecvBuffer::holding(size_t offset, size_t len) const {
  const uint64_t begin = nxt_ + offset;
  const uint64_t end = begin + len;
  const auto it =
      std::partition_point(ooo_.begin(), ooo_.end(), [&](const Range& r) { return r.end < end; });
  if (it == ooo_.end() || it->begin > begin) return std::nullopt;
  return SackRange{static_cast<size_t>(it->begin - nxt_), static_cast<size_t>(it->end - nxt_)};
}

size_t RecvBuffer::touched_since(uint64_t mark) const {
  return static_cast<size_t>(
      std::count_if(ooo_.begin(), ooo_.end(), [&](const Range& r) { return r.touched > mark; }));
}

}  // namespace tundra::tcp
