// Instants, durations and clocks. Protocol code takes `Instant now` as an argument; only the apps'
// event loop reads a real clock, and tests drive a SimClock (DESIGN.md: time is an argument).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>

namespace tundra {

using Duration = std::chrono::microseconds;
using namespace std::chrono_literals;

// A point on the stack's monotonic time line, in microseconds from an arbitrary origin.
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_micros(int64_t us) { return Instant(us); }
  static constexpr Instant from_millis(int64_t ms) { return Instant(ms * 1000); }
  constexpr int64_t micros() const { return us_; }
  constexpr int64_t millis() const { return us_ / 1000; }

  constexpr Instant operator+(Duration d) const { return Instant(us_ + d.count()); }
  constexpr Instant operator-(Duration d) const { return Instant(us_ - d.count()); }
  constexpr Instant& operator+=(Duration d) {
    us_ += d.count();
    return *this;
  }
  constexpr Duration operator-(Instant o) const { return Duration(us_ - o.us_); }
  constexpr auto operator<=>(const Instant&) const = default;

  std::string to_string() const;  // "12.345678s"

 private:
  constexpr explicit Instant(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// Where time comes from. The event loop asks it; protocol code never does.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
  // Wall-clock time (microseconds since the Unix epoch) of an instant, for pcap timestamps.
  virtual int64_t wall_micros(Instant t) const = 0;
};

// The real, monotonic clock of the machine.
class SteadyClock final : public Clock {
 public:
  SteadyClock();
  Instant now() const override;
  int64_t wall_micros(Instant t) const override { return t.micros() + wall_offset_us_; }

 private:
  int64_t wall_offset_us_;
};

// A clock that moves only when told: tests jump it to the next deadline.
class SimClock final : public Clock {
 public:
  explicit SimClock(Instant start = Instant::from_micros(1'000'000)) : now_(start) {}
  Instant now() const override { return now_; }
  int64_t wall_micros(Instant t) const override { return t.micros(); }
  void advance(Duration d) { now_ += d; }
  void set(Instant t) { now_ = t > now_ ? t : now_; }

 private:
  Instant now_;
};

}  // namespace tundra
