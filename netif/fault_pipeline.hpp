// FaultPipeline: the faults applied to one direction of a link (loss, corruption, duplication,
// reordering, delay with jitter, a rate limit), with its own seeded generator. FaultInjector owns
// one per direction; tests may drive one directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>

#include "stack/base/buffer.hpp"
#include "stack/base/time.hpp"

namespace tundra::netif {

// What to do to the datagrams going one way. All zero: a transparent pass-through.
struct FaultDirection {
  // Probabilities in [0, 1], each decided independently per datagram.
  double loss = 0;       // dropped
  double duplicate = 0;  // sent twice
  double reorder = 0;    // held back so that the next datagram overtakes it
  double corrupt = 0;    // one byte XORed with a random non-zero value
  // Every datagram is held `delay` plus a uniform draw from [0, jitter]. Jitter alone never
  // reorders: a datagram never leaves before the one that arrived ahead of it (as on one path
  // through real routers), so a short draw behind a long one waits for it.
  Duration delay{0};
  Duration jitter{0};
  // Serialization rate in Mbit/s, 0 for unlimited: a datagram of n bytes occupies the line for
  // n * 8 / rate_mbit microseconds and is released when its last bit is out.
  double rate_mbit = 0;

  // The longest a datagram held for reordering waits for the next one to overtake it; after
  // that it goes on alone, so a held datagram is never stuck. Should be positive: with zero, the
  // hold runs out before anything can overtake it.
  Duration reorder_timeout = std::chrono::milliseconds(10);
  // Datagrams at the rate limiter at most, the one on the line included (a router's output
  // queue); beyond that they are dropped and counted as rate-limited. At least 1.
  size_t rate_queue_limit = 1000;
  // All datagrams held by this direction at most (delay line and rate limiter together), so a
  // flood cannot grow memory without bound; beyond that they are dropped and counted as overflow.
  size_t hold_limit = 65536;

  // True when nothing is changed or held: no probability, delay, jitter or rate is set.
  bool transparent() const;
  // The non-zero settings, e.g. "loss=0.3 delay=10ms", or "none".
  std::string summary() const;
};

// What one direction has done. Every datagram that entered is, in the end, exactly one of
// passed, dropped, rate_limited or overflow (duplicates add to what entered), or still held.
struct FaultCounters {
  uint64_t passed = 0;        // handed on
  uint64_t dropped = 0;       // lost on purpose
  uint64_t corrupted = 0;     // had a byte changed
  uint64_t duplicated = 0;    // extra copies made
  uint64_t reordered = 0;     // overtaken by a later datagram
  uint64_t delayed = 0;       // held past their arrival by delay or jitter
  uint64_t rate_limited = 0;  // dropped because the rate limiter's queue was full
  uint64_t overflow = 0;      // dropped because the direction held hold_limit datagrams
};

class FaultPipeline {
 public:
  // `stream` tells the directions apart, so that each draws from its own sequence and one
  // direction's traffic does not change the fates of the other's.
  FaultPipeline(const FaultDirection& config, uint64_t seed, uint32_t stream);

  // A datagram arrives at `now` and takes its fate.
  void push(PacketBuffer packet, Instant now);
  // The next datagram due by `now`, in order, if any.
  std::optional<PacketBuffer> pop_due(Instant now);
  // Lets a datagram held for reordering go on alone if its hold has run out by `now`.
  void advance(Instant now);

  // When the next datagram is due, or a reordering hold runs out; nullopt if nothing is held.
  std::optional<Instant> next_due() const;
  // Datagrams held, in the delay line, the rate limiter or for reordering.
  size_t held() const { return queue_.size() + (reorder_slot_ ? 1 : 0); }
  // Nothing to change and nothing held: a datagram pushed now is due now.
  bool pass_through() const { return transparent_ && held() == 0; }

  const FaultDirection& config() const { return config_; }
  const FaultCounters& counters() const { return counters_; }

 private:
  struct Held {
    PacketBuffer packet;
    Instant due;  // when it is handed on
  };
  struct Slot {
    PacketBuffer packet;
    Instant deadline;  // when it goes on alone if nothing has overtaken it
  };

  // After loss, corruption and duplication: the reordering decision.
  void admit(PacketBuffer packet, Instant now);
  // The delay line and the rate limiter; `now` is when the datagram enters them.
  void enqueue(PacketBuffer packet, Instant now);

  // A uniform draw from [0, 1) with 53 bits, the same on every platform (unlike
  // std::uniform_real_distribution, whose algorithm the standard leaves open).
  double uniform01();
  // A uniform integer in [0, n), unbiased, n > 0.
  uint64_t below(uint64_t n);
  // True with probability p; draws nothing when p <= 0, so disabled faults leave the sequence of
  // the others alone.
  bool chance(double p);

  FaultDirection config_;
  bool transparent_;
  std::mt19937_64 rng_;
  FaultCounters counters_;

  std::deque<Held> queue_;  // delay line and rate limiter; `due` never decreases along it
  std::optional<Slot> reorder_slot_;
  // When the last datagram left the delay line: the next may not leave before (first in, first
  // out).
  std::optional<Instant> last_leaves_delay_;
  // The rate limiter's line: when its current busy period began and how many bits it has sent
  // since. Times are computed from the total, not summed per datagram, so rounding each one to
  // the microsecond never drifts the rate.
  std::optional<Instant> busy_since_;
  uint64_t busy_bits_ = 0;
};

}  // namespace tundra::netif
