// IPv4 fragment reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2) with a hard memory bound.
// stack/ip's input path hands it every fragment and polls it for timeouts.
#pragma once

#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "stack/base/buffer.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/time.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::ip {

struct ReassemblyLimits {
  // Cap on the memory held for all datagrams in progress: their payload bytes plus
  // Reassembler::kDatagramOverhead per datagram and kFragmentOverhead per fragment.
  size_t max_bytes = 4 * 1024 * 1024;
  size_t max_datagrams = 256;
  // From the first fragment (RFC 791 suggests 15 s; RFC 1122 3.3.2 60 to 120 s; Linux uses 30 s).
  Duration timeout = std::chrono::seconds(30);
};

struct ReassemblyStats {
  uint64_t fragments = 0;    // fragments offered to add()
  uint64_t reassembled = 0;  // datagrams completed
  uint64_t timeouts = 0;     // datagrams dropped when their timer ran out
  uint64_t overlaps = 0;     // datagrams dropped because a fragment partially overlapped another
  uint64_t duplicates = 0;   // fragments dropped as exact copies of one held
  uint64_t over_memory = 0;  // datagrams evicted, or fragments refused, to stay within the limits
  uint64_t bad = 0;          // fragments (and their datagrams) refused as inconsistent
};

// A completed datagram. `header` is fragment 0's, with the fragment fields cleared and
// payload_len the reassembled length; `payload` has PacketBuffer::kHeadroom bytes of room in
// front so the datagram can be handed up (or forwarded) without another copy.
struct Reassembled {
  wire::ipv4::Repr header;
  PacketBuffer payload;
};

// A datagram whose timer ran out after fragment 0 arrived: fragment 0's header as received and
// its first 8 payload bytes, what an ICMP Time Exceeded (code 1, fragment reassembly time
// exceeded) quotes (RFC 792; RFC 1122 3.3.2 says to send one only if fragment 0 arrived).
struct Expired {
  wire::ipv4::Repr header;
  std::vector<std::byte> first_bytes;
};

class Reassembler {
 public:
  // Charged against max_bytes besides payload bytes, so that a flood of tiny fragments is bounded
  // by the memory really spent on bookkeeping, not just by the bytes carried. Estimates of the
  // allocations behind one datagram (hash node, state) and one fragment (tree node, vector).
  static constexpr size_t kDatagramOverhead = 256;
  static constexpr size_t kFragmentOverhead = 96;

  explicit Reassembler(ReassemblyLimits limits = {});
  ~Reassembler();
  // Datagrams in progress are linked into the arrival list by address: neither copied nor moved.
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Adds a fragment (`repr.is_fragment()` is true; `payload` is its data). Returns the whole
  // datagram when this fragment completes it. A datagram that is not a fragment is returned as it
  // is. Datagrams whose timer ran out by `now` are expired first, and reported by the next poll().
  std::optional<Reassembled> add(const wire::ipv4::Repr& repr, std::span<const std::byte> payload,
                                 Instant now);
  // Drops datagrams whose timer has run out; returns those the caller may report with ICMP.
  std::vector<Expired> poll(Instant now);
  // The earliest timeout, or when expired datagrams are waiting to be reported.
  std::optional<Instant> poll_at() const;

  const ReassemblyStats& stats() const { return stats_; }
  CounterGroup counters() const;
  // Memory charged against ReassemblyLimits::max_bytes (payload plus overheads).
  size_t bytes_held() const { return bytes_; }
  size_t datagrams_held() const { return table_.size(); }

 private:
  // RFC 791 3.2: fragments belong together when source, destination, protocol and
  // identification agree.
  struct Key {
    wire::ipv4::Address src, dst;
    uint8_t protocol = 0;
    uint16_t ident = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  using ArrivalHook =
      boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

  // One datagram in progress. Fragments never overlap (a partial overlap drops the datagram), so
  // the gaps between them are exactly RFC 815's hole list, and the datagram is whole when the
  // bytes held equal the total length that the last fragment told.
  struct Datagram : ArrivalHook {
    Key key;
    Instant deadline;
    std::optional<wire::ipv4::Repr> first;  // fragment 0's header, once it arrived
    std::optional<size_t> total;            // payload length, once the last fragment arrived
    size_t received = 0;                    // payload bytes held
    size_t charged = 0;                     // what this datagram counts in bytes_
    std::map<size_t, std::vector<std::byte>> fragments;  // by offset
  };
  using Table = std::unordered_map<Key, Datagram, KeyHash>;
  // Arrival order is deadline order, since every datagram gets the same timeout: the timer
  // structure is this list, and expiring looks only at its front.
  using ArrivalList = boost::intrusive::list<Datagram, boost::intrusive::constant_time_size<false>>;

  enum class Fit { New, Duplicate, Overlap };
  static Fit fit(const Datagram& d, size_t offset, size_t end);

  void expire(Instant now);
  bool make_room(size_t cost, bool new_datagram, const Datagram* keep);
  std::optional<Reassembled> complete_if_whole(Table::iterator it);
  void drop(Table::iterator it);

  ReassemblyLimits limits_;
  ReassemblyStats stats_;
  Table table_;
  ArrivalList arrivals_;
  size_t bytes_ = 0;
  std::vector<Expired> expired_;  // expired by add(), waiting for poll()
  Instant expired_at_;            // deadline of the first of them
};

}  // namespace tundra::ip
