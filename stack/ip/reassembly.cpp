// IPv4 fragment reassembly: fragments in, whole datagrams and timeout reports out (RFC 791 3.2,
// RFC 815, RFC 1122 3.3.2). Partial overlaps drop the datagram, like Linux since 2018.
#include "stack/ip/reassembly.hpp"

#include <algorithm>
#include <utility>

namespace tundra::ip {

namespace {

// RFC 792: a Time Exceeded message quotes the header and the first 64 bits of data.
constexpr size_t kQuotedBytes = 8;
// RFC 791 3.1: the fragment offset counts 8-byte units.
constexpr size_t kFragmentUnit = 8;

}  // namespace

size_t Reassembler::KeyHash::operator()(const Key& k) const {
  // Mix all 96 bits so that idents differing in low bits spread over the buckets (a 64-bit
  // finalizer from the SplitMix family, written out here).
  uint64_t x = (uint64_t{k.src.value()} << 32 | k.dst.value()) ^
               (uint64_t{k.protocol} << 16 | k.ident) * 0x9e3779b97f4a7c15ull;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<size_t>(x);
}

Reassembler::Reassembler(ReassemblyLimits limits) : limits_(limits) {}

Reassembler::~Reassembler() {
  // Unlink before the table frees the datagrams (auto-unlink would do it too, one by one).
  arrivals_.clear();
}

CounterGroup Reassembler::counters() const {
  CounterGroup g{"ipv4 reassembly", {}};
  g.add("fragments", stats_.fragments);
  g.add("reassembled", stats_.reassembled);
  g.add("timeouts", stats_.timeouts);
  g.add("overlaps", stats_.overlaps);
  g.add("duplicates", stats_.duplicates);
  g.add("over memory", stats_.over_memory);
  g.add("bad", stats_.bad);
  g.add("bytes held", bytes_);
  g.add("datagrams held", table_.size());
  return g;
}

Reassembler::Fit Reassembler::fit(const Datagram& d, size_t offset, size_t end) {
  // Held fragments never overlap one another, so only the neighbours of [offset, end) can touch
  // it: the first fragment starting at or after `offset`, and the one before.
  auto next = d.fragments.lower_bound(offset);
  if (next != d.fragments.end()) {
    const size_t next_end = next->first + next->second.size();
    if (next->first == offset && next_end == end) return Fit::Duplicate;
    if (next->first < end) return Fit::Overlap;
  }
  if (next != d.fragments.begin()) {
    const auto prev = std::prev(next);
    if (prev->first + prev->second.size() > offset) return Fit::Overlap;
  }
  return Fit::New;
}

std::optional<Reassembled> Reassembler::add(const wire::ipv4::Repr& repr,
                                            std::span<const std::byte> payload, Instant now) {
  if (!repr.is_fragment()) {
    Reassembled whole{repr, PacketBuffer::copy_of(payload)};
    whole.header.payload_len = payload.size();
    return whole;
  }
  // A fragment that arrives after its datagram's deadline must not complete it.
  expire(now);
  ++stats_.fragments;

  const Key key{repr.src, repr.dst, repr.protocol, repr.ident};
  const size_t offset = repr.frag_offset;
  const size_t len = payload.size();
  const size_t end = offset + len;
  const bool last = !repr.more_fragments;
  auto it = table_.find(key);
  Datagram* d = it == table_.end() ? nullptr : &it->second;

  // RFC 791 3.2: offsets count 8-byte units, so every fragment but the last carries a multiple
  // of 8 bytes. An empty fragment fills nothing (Linux refuses it too). The whole datagram,
  // header included, must fit the 16-bit total length: the classic "ping of death" does not.
  bool bad = len == 0 || (!last && len % kFragmentUnit != 0) ||
             end + repr.header_len > wire::ipv4::kMaxPacketLen;
  if (!bad && d != nullptr) {
    // Once the last fragment told the total, nothing may end beyond it, and a second last
    // fragment must agree; a last fragment must not end before data already held.
    if (d->total) bad = last ? end != *d->total : end > *d->total;
    if (last && !d->fragments.empty()) {
      const auto& [tail_offset, tail] = *d->fragments.rbegin();
      if (tail_offset + tail.size() > end) bad = true;
    }
  }
  if (bad) {
    ++stats_.bad;
    if (d != nullptr) drop(it);
    return std::nullopt;
  }

  if (d != nullptr) {
    switch (fit(*d, offset, end)) {
      case Fit::Overlap:
        // Overlapping fragments have no legitimate use today and are how filters are evaded and
        // reassembly is attacked (RFC 5722 forbids them for IPv6; Linux drops them for IPv4).
        ++stats_.overlaps;
        drop(it);
        return std::nullopt;
      case Fit::Duplicate:
        // A retransmitted fragment: harmless, keep the copy held. It may be the copy that says
        // it is last, which tells the total.
        ++stats_.duplicates;
        if (last) d->total = end;
        return complete_if_whole(it);
      case Fit::New:
        break;
    }
  }

  const size_t cost = len + kFragmentOverhead + (d == nullptr ? kDatagramOverhead : 0);
  if (!make_room(cost, d == nullptr, d)) {
    ++stats_.over_memory;
    // A datagram that cannot hold this fragment even alone within the limits can never
    // complete: free what it holds now rather than at its timeout.
    if (d != nullptr) drop(it);
    return std::nullopt;
  }

  if (d == nullptr) {
    it = table_.try_emplace(key).first;
    d = &it->second;
    d->key = key;
    // RFC 1122 3.3.2: a fixed timeout from the first fragment, not one reset by later fragments
    // nor taken from the TTL as RFC 791 3.2 suggested.
    d->deadline = now + limits_.timeout;
    d->charged = kDatagramOverhead;
    bytes_ += kDatagramOverhead;
    arrivals_.push_back(*d);
  }
  d->fragments.emplace(offset, std::vector<std::byte>(payload.begin(), payload.end()));
  d->received += len;
  d->charged += len + kFragmentOverhead;
  bytes_ += len + kFragmentOverhead;
  if (offset == 0) d->first = repr;
  if (last) d->total = end;
  return complete_if_whole(it);
}

bool Reassembler::make_room(size_t cost, bool new_datagram, const Datagram* keep) {
  const size_t kept = keep != nullptr ? keep->charged : 0;
  // Evicting others cannot help a datagram that would outgrow the cap on its own.
  if (kept + cost > limits_.max_bytes || (new_datagram && limits_.max_datagrams == 0)) return false;
  while (bytes_ + cost > limits_.max_bytes ||
         (new_datagram && table_.size() >= limits_.max_datagrams)) {
    // The oldest datagram has waited longest and is the likeliest to be lost anyway; never the
    // one this fragment belongs to, which is at most one step from the front.
    auto victim = arrivals_.begin();
    if (victim != arrivals_.end() && &*victim == keep) ++victim;
    if (victim == arrivals_.end()) return false;
    ++stats_.over_memory;
    drop(table_.find(victim->key));
  }
  return true;
}

std::optional<Reassembled> Reassembler::complete_if_whole(Table::iterator it) {
  Datagram& d = it->second;
  // Every byte held lies in [0, total) and no byte is held twice, so all holes are filled
  // exactly when the bytes held add up to the total (RFC 815 3: the hole list is empty).
  if (!d.total || d.received != *d.total) return std::nullopt;
  if (!d.first || d.first->header_len + *d.total > wire::ipv4::kMaxPacketLen) {
    // Fragment 0 brought a longer header than the others: together over 65535 bytes.
    ++stats_.bad;
    drop(it);
    return std::nullopt;
  }
  Reassembled r{*d.first, PacketBuffer::with_capacity(*d.total)};
  r.header.more_fragments = false;
  r.header.frag_offset = 0;
  r.header.payload_len = *d.total;
  for (const auto& [offset, bytes] : d.fragments)
    r.payload.append(bytes);
  ++stats_.reassembled;
  drop(it);
  return r;
}

void Reassembler::drop(Table::iterator it) {
  bytes_ -= it->second.charged;
  table_.erase(it);  // the arrival hook unlinks itself
}

void Reassembler::expire(Instant now) {
  while (!arrivals_.empty() && arrivals_.front().deadline <= now) {
    Datagram& d = arrivals_.front();
    ++stats_.timeouts;
    // RFC 1122 3.3.2: report only when fragment 0 arrived, since only it holds the header and
    // first bytes that identify the datagram to its sender. Reports waiting for poll() are
    // bounded like the datagrams themselves.
    if (d.first && expired_.size() < limits_.max_datagrams) {
      const auto& head = d.fragments.begin()->second;
      const auto quoted = std::span(head).first(std::min(head.size(), kQuotedBytes));
      if (expired_.empty()) expired_at_ = d.deadline;
      expired_.push_back(Expired{*d.first, {quoted.begin(), quoted.end()}});
    }
    drop(table_.find(d.key));
  }
}

std::vector<Expired> Reassembler::poll(Instant now) {
  expire(now);
  return std::exchange(expired_, {});
}

std::optional<Instant> Reassembler::poll_at() const {
  if (!expired_.empty()) return expired_at_;
  if (arrivals_.empty()) return std::nullopt;
  return arrivals_.front().deadline;
}

}  // namespace tundra::ip
