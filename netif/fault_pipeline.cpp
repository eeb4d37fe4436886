// FaultPipeline: one direction's faults, applied to each datagram in a fixed order — loss,
// corruption, duplication, reordering, delay, rate limit — so a seed replays a run exactly.
#include "netif/fault_pipeline.hpp"

#include <cmath>

#include <fmt/format.h>

namespace tundra::netif {

namespace {
// "10ms", or "1500us" when not a whole number of milliseconds.
std::string format_duration(Duration d) {
  const int64_t us = d.count();
  return us % 1000 == 0 ? fmt::format("{}ms", us / 1000) : fmt::format("{}us", us);
}
}  // namespace

bool FaultDirection::transparent() const {
  return loss <= 0 && duplicate <= 0 && reorder <= 0 && corrupt <= 0 && delay.count() <= 0 &&
         jitter.count() <= 0 && rate_mbit <= 0;
}

std::string FaultDirection::summary() const {
  std::string s;
  auto add = [&s](const std::string& item) {
    if (!s.empty()) s += ' ';
    s += item;
  };
  if (loss > 0) add(fmt::format("loss={:g}", loss));
  if (duplicate > 0) add(fmt::format("dup={:g}", duplicate));
  if (reorder > 0) add(fmt::format("reorder={:g}", reorder));
  if (corrupt > 0) add(fmt::format("corrupt={:g}", corrupt));
  if (delay.count() > 0) add("delay=" + format_duration(delay));
  if (jitter.count() > 0) add("jitter=" + format_duration(jitter));
  if (rate_mbit > 0) add(fmt::format("rate={:g}Mbit", rate_mbit));
  return s.empty() ? "none" : s;
}

FaultPipeline::FaultPipeline(const FaultDirection& config, uint64_t seed, uint32_t stream)
    : config_(config), transparent_(config.transparent()) {
  // seed_seq's mixing is fully specified by the standard, so a seed means the same sequence on
  // every platform; the stream number gives each direction a sequence of its own.
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), stream};
  rng_.seed(seq);
}

double FaultPipeline::uniform01() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

uint64_t FaultPipeline::below(uint64_t n) {
  // Reject the lowest (2^64 mod n) values so every residue is equally likely.
  const uint64_t reject_under = (0 - n) % n;
  uint64_t x = rng_();
  while (x < reject_under)
    x = rng_();
  return x % n;
}

bool FaultPipeline::chance(double p) {
  return p > 0 && uniform01() < p;
}

void FaultPipeline::push(PacketBuffer packet, Instant now) {
  // A hold that ran out before this arrival ends first, so this datagram does not overtake it:
  // fates then do not depend on how often the caller polled.
  advance(now);

  if (chance(config_.loss)) {
    ++counters_.dropped;
    return;
  }
  if (chance(config_.corrupt) && !packet.empty()) {
    const size_t at = below(packet.size());
    const auto flip = static_cast<std::byte>(1 + below(255));
    packet.data()[at] ^= flip;
    ++counters_.corrupted;
  }
  if (chance(config_.duplicate)) {
    ++counters_.duplicated;
    PacketBuffer copy = packet.clone();
    admit(std::move(packet), now);
    admit(std::move(copy), now);
    return;
  }
  admit(std::move(packet), now);
}

void FaultPipeline::admit(PacketBuffer packet, Instant now) {
  if (reorder_slot_) {
    // This one overtakes the held datagram, which follows right behind it.
    enqueue(std::move(packet), now);
    PacketBuffer held = std::move(reorder_slot_->packet);
    reorder_slot_.reset();
    ++counters_.reordered;
    enqueue(std::move(held), now);
    return;
  }
  if (chance(config_.reorder)) {
    reorder_slot_ = Slot{std::move(packet), now + config_.reorder_timeout};
    return;
  }
  enqueue(std::move(packet), now);
}

void FaultPipeline::advance(Instant now) {
  if (!reorder_slot_ || reorder_slot_->deadline > now) return;
  // It goes on at its deadline, not at `now`, so late polling does not add to its delay.
  const Instant deadline = reorder_slot_->deadline;
  PacketBuffer held = std::move(reorder_slot_->packet);
  reorder_slot_.reset();
  enqueue(std::move(held), deadline);
}

void FaultPipeline::enqueue(PacketBuffer packet, Instant now) {
  if (queue_.size() >= config_.hold_limit) {
    ++counters_.overflow;
    return;
  }

  // Delay line: fixed delay plus jitter, but never ahead of the datagram in front.
  Duration extra = config_.delay;
  if (config_.jitter.count() > 0) {
    extra +=
        Duration(static_cast<int64_t>(below(static_cast<uint64_t>(config_.jitter.count()) + 1)));
  }
  Instant leaves = now + extra;
  if (last_leaves_delay_ && *last_leaves_delay_ > leaves) leaves = *last_leaves_delay_;
  const bool was_delayed = leaves > now;

  Instant due = leaves;
  if (config_.rate_mbit > 0) {
    // Those still on or waiting for the line when this one reaches it form the limiter's queue.
    // Everything ahead reached the line no later (first in, first out), and `due` grows along
    // the queue, so they are the ones at the back with `due` after `leaves`.
    size_t waiting = 0;
    for (auto it = queue_.rbegin(); it != queue_.rend() && it->due > leaves; ++it) {
      if (++waiting >= config_.rate_queue_limit) break;
    }
    if (waiting >= config_.rate_queue_limit) {
      ++counters_.rate_limited;
      return;
    }
    // Bits at r Mbit/s take bits / r microseconds. If the line finished the last busy period by
    // the time this one reaches it, a new period starts now.
    const double rate = config_.rate_mbit;
    if (!busy_since_ || static_cast<double>((leaves - *busy_since_).count()) >=
                            static_cast<double>(busy_bits_) / rate) {
      busy_since_ = leaves;
      busy_bits_ = 0;
    }
    busy_bits_ += uint64_t{8} * packet.size();
    // Released once its last bit is out, rounded up to the microsecond.
    const double done_us = std::ceil(static_cast<double>(busy_bits_) / rate);
    due = *busy_since_ + Duration(static_cast<int64_t>(done_us));
  }

  last_leaves_delay_ = leaves;
  if (was_delayed) ++counters_.delayed;
  queue_.push_back(Held{std::move(packet), due});
}

std::optional<PacketBuffer> FaultPipeline::pop_due(Instant now) {
  advance(now);
  if (queue_.empty() || queue_.front().due > now) return std::nullopt;
  PacketBuffer p = std::move(queue_.front().packet);
  queue_.pop_front();
  ++counters_.passed;
  return p;
}

std::optional<Instant> FaultPipeline::next_due() const {
  std::optional<Instant> next;
  if (!queue_.empty()) next = queue_.front().due;
  if (reorder_slot_ && (!next || reorder_slot_->deadline < *next)) next = reorder_slot_->deadline;
  return next;
}

}  // namespace tundra::netif
