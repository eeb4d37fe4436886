// RecvBuffer: received bytes waiting for the application, and out-of-order data held for
// reassembly. The TCP connection inserts segment text and reports the window and SACK blocks;
// the socket facade reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/base/buffer.hpp"
#include "stack/tcp/chunk_store.hpp"

namespace tundra::tcp {

// A block of held out-of-order data, [begin, end) as offsets past RCV.NXT.
struct SackRange {
  size_t begin;
  size_t end;
  bool operator==(const SackRange&) const = default;
};

// RFC 9293 3.10.7.4 ("seventh, process the segment text") with RFC 1122 4.2.2.20 (g): segments
// that arrive ahead of RCV.NXT are kept, and delivered once the gap before them fills.
//
// Offsets in the interface are relative to RCV.NXT. Inside, everything is a 64-bit stream
// position, so advancing RCV.NXT moves one number and no held range has to be rewritten.
// Storage is taken as data arrives and given back as the application reads (empty: nothing
// allocated).
class RecvBuffer {
 public:
  explicit RecvBuffer(size_t capacity, size_t max_ooo_ranges = 64)
      : capacity_(capacity), max_ooo_ranges_(max_ooo_ranges) {}

  // SO_RCVBUF: readable bytes plus the window never exceed it.
  size_t capacity() const { return capacity_; }
  // Lowering it shrinks the window from the right; data already held is kept.
  void set_capacity(size_t capacity) { capacity_ = capacity; }

  // In-order bytes the application may read.
  size_t readable() const { return static_cast<size_t>(nxt_ - read_pos_); }
  // The receive window to advertise: capacity minus readable bytes. Out-of-order data already
  // lies inside the window, so it does not shrink it; the right edge (RCV.NXT + window) moves
  // only when the application reads, as RFC 9293 3.10.7.4 asks ("the total of RCV.NXT and
  // RCV.WND should not be reduced").
  size_t window() const { return readable() < capacity_ ? capacity_ - readable() : 0; }

  // Stores `data`, which starts `offset` bytes past RCV.NXT. Bytes beyond the window are cut
  // off; bytes already held win over the new ones where they overlap. When the data starts at
  // RCV.NXT, it and any held data it now joins become readable. Returns how many bytes became
  // readable (how far RCV.NXT advances). Out-of-order data that would make more than
  // max_ooo_ranges separate ranges is dropped (returns 0): the peer will send it again.
  //
  // `owner`, when given, is the datagram that `data` lies in. A large segment that arrives in
  // order, whole, is then kept in that datagram's buffer (moved out of *owner) instead of being
  // copied: with TUN offloads the kernel hands over 64 KiB at a time, and the copy into chunks
  // was a sixth of the receiving thread's work. Small segments, and those that fill less than
  // half their buffer, are copied (a held buffer should not cost more than the bytes it holds).
  size_t insert(size_t offset, std::span<const std::byte> data, PacketBuffer* owner = nullptr);
  // Moves up to out.size() readable bytes into `out`; returns how many.
  size_t read(std::span<std::byte> out);
  // Like read(), but the bytes stay (MSG_PEEK).
  size_t peek(std::span<std::byte> out) const;
  // Like read(), but the bytes go nowhere (MSG_TRUNC on a stream, as Linux's tcp(7)).
  size_t discard(size_t max);

  bool has_out_of_order() const { return !ooo_.empty(); }
  size_t out_of_order_bytes() const { return ooo_bytes_; }
  // Up to `max` SACK blocks (RFC 2018 4): first the range holding the most recently received
  // out-of-order segment, then the others, most recently added to first. Never the readable
  // prefix (that is what the ACK number says).
  // `skip`: leave out that many of the most recent first (older blocks for ACKs of their own).
  std::vector<SackRange> sack_ranges(size_t max, size_t skip = 0) const;
  // The held range that holds all of [offset, offset + len) (a duplicate of SACKed data), if one
  // does.
  std::optional<SackRange> holding(size_t offset, size_t len) const;
  // A clock of out-of-order arrivals, to mark when blocks were last reported.
  uint64_t arrivals() const { return arrivals_; }
  // Held ranges that took a segment after `mark` (an arrivals() value).
  size_t touched_since(uint64_t mark) const;

  // Storage held now, for memory accounting.
  size_t allocated_bytes() const {
    return store_.allocated_bytes() + ooo_.capacity() * sizeof(Range) + kept_bytes_ +
           kept_.capacity() * sizeof(Kept);
  }
  // Received datagrams held instead of copied (see insert()).
  size_t kept_segments() const { return kept_.size(); }

 private:
  // Held out-of-order data, in stream positions. `touched` orders ranges for SACK: the value of
  // arrivals_ when a segment last landed in the range.
  struct Range {
    uint64_t begin;
    uint64_t end;
    uint64_t touched;
  };

  // Readable bytes kept in the datagram they came in: [begin, end) in stream positions, at `off`
  // in buf.bytes().
  struct Kept {
    uint64_t begin;
    uint64_t end;
    PacketBuffer buf;
    size_t off;
  };
  static bool worth_keeping(const PacketBuffer& owner, std::span<const std::byte> data);

  // Copies stream positions [pos, pos + out.size()), all readable, from the kept datagrams and
  // the chunk store.
  void copy_out(uint64_t pos, std::span<std::byte> out) const;
  // Gives back storage the application has read past.
  void release_storage();

  ChunkStore store_;
  // Sorted and disjoint, all at or after the start of the readable bytes; readable bytes that no
  // entry holds are in store_. A vector, not a deque: an idle connection should cost nothing.
  std::vector<Kept> kept_;
  size_t kept_bytes_ = 0;  // the kept buffers' storage
  // Sorted, disjoint, never touching each other or RCV.NXT (touching ranges are merged), so
  // their number is exactly the number of SACK-able blocks.
  std::vector<Range> ooo_;
  uint64_t read_pos_ = 0;  // stream position of the next byte the application reads
  uint64_t nxt_ = 0;       // stream position of RCV.NXT
  size_t ooo_bytes_ = 0;
  uint64_t arrivals_ = 0;  // out-of-order insertions so far
  size_t capacity_;
  size_t max_ooo_ranges_;
};

}  // namespace tundra::tcp
