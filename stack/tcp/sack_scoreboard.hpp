// SackScoreboard: the sender's record of which unacknowledged bytes the peer has SACKed
// (RFC 2018 5, RFC 6675 3). The TCP connection feeds it each ACK's SACK blocks; what it holds
// makes RFC 6675's pipe, and the delivery rate's highest SACKed byte. What is lost is RACK's
// to say (rack.hpp), per segment sent.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "stack/tcp/seq.hpp"

namespace tundra::tcp {

// RFC 2883 4: whether an ACK's SACK blocks begin with a D-SACK, a report of data the peer got
// twice: the first block lies below the ACK (`ack`), or within the second block.
bool is_dsack(Seq ack, std::span<const std::pair<Seq, Seq>> blocks);

// SACKed data is kept as sequence ranges, not per-segment flags (RFC 6675 3 allows this): the
// sender may repacketize, and a range list costs nothing for the common no-loss case. All ranges
// lie within [SND.UNA, SND.NXT), less than 2^31 wide, so Seq's modular comparisons order them.
class SackScoreboard {
 public:
  // Bound on the ranges held, so a peer sending crafted SACK blocks cannot grow the scoreboard.
  // Each range is a hole's worth of information; 256 covers far more holes than one window
  // of real losses needs.
  static constexpr size_t kMaxRanges = 256;

  // Records an ACK's SACK blocks ([begin, end) sequence numbers), after dropping what SND.UNA
  // now covers. A block is taken only if SND.UNA < begin < end <= SND.NXT: a block at or below
  // SND.UNA is a D-SACK (RFC 2883) or stale, one beyond SND.NXT SACKs data never sent
  // (acceptability in the spirit of RFC 5961 5.2); both are ignored.
  void update(Seq snd_una, Seq snd_nxt, std::span<const std::pair<Seq, Seq>> blocks);
  // SND.UNA moved: forgets everything below it (RFC 2018 5: SACKed data is only released once
  // cumulatively acknowledged, which the connection does in its send buffer).
  void advance(Seq snd_una);

  bool is_sacked(Seq s) const;
  size_t sacked_bytes() const { return sacked_bytes_; }
  // One past the highest SACKed byte (the end of the highest block), if anything is SACKed.
  std::optional<Seq> highest_sacked() const;
  // RFC 2018 5: after a retransmission timeout the SACK information is forgotten, since the
  // receiver may have reneged.
  void clear();

  size_t range_count() const { return ranges_.size(); }
  // Storage held now, for memory accounting.
  size_t allocated_bytes() const { return ranges_.capacity() * sizeof(Range); }

 private:
  struct Range {
    Seq begin;
    Seq end;
  };

  void add(Seq begin, Seq end);
  // Over the bound: drops the range covering the fewest bytes (the lowest one among equals).
  // Forgetting a SACK is always safe, it only costs a needless retransmission; keeping the big
  // ranges keeps most of what is known.
  void evict_one();
  void release_if_empty();

  std::vector<Range> ranges_;  // sorted, disjoint, never touching (touching ranges merge)
  size_t sacked_bytes_ = 0;
};

}  // namespace tundra::tcp
