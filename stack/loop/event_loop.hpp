// EventLoop: the one thread that runs the stack. It reads the clock, polls the stack, and sleeps
// in ppoll(2) until the link's descriptor is ready, the stack's next deadline, or a wake-up from
// an application thread — never past the next timer. Application threads reach the stack only
// through the socket facade, which takes this loop's lock (the protocol cores take none).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "stack/base/time.hpp"
#include "stack/stack.hpp"

namespace tundra {

// How long a round may sleep: until the stack's next deadline (never past it), at most `max_wait`
// (nullopt: no limit), and not at all when input may still be waiting.
std::optional<Duration> next_wait(Instant now, std::optional<Instant> deadline,
                                  std::optional<Duration> max_wait, bool more_input);

class EventLoop {
 public:
  EventLoop(Clock& clock, Stack& stack);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs one round: poll the stack, then wait at most `max_wait` (or until the next deadline or
  // a wake-up) for something to do. Returns after the wait.
  void run_once(std::optional<Duration> max_wait = std::nullopt);
  // Runs rounds until stop() is called.
  void run();
  // Runs the loop on a thread of its own until stop().
  void start();
  // Ends run() (from any thread, or a signal handler via wake()) and joins the loop's thread.
  void stop();
  // Makes the loop's wait return now. Async-signal-safe.
  void wake();
  // The same, from a thread that holds mutex(): costs a system call only when the loop is asleep
  // or about to be (a send() or recv() while the loop is busy needs none — it looks at the stack
  // again before it sleeps).
  void wake_locked() {
    if (!asleep_) return;
    asleep_ = false;
    wake();
  }

  // Called on the loop's thread after each round, outside the lock (e.g. to print counters that
  // a signal asked for).
  void set_round_hook(std::function<void()> hook) { round_hook_ = std::move(hook); }

  // The lock that guards the stack and the condition socket waiters sleep on; notified after
  // every round that moved socket data.
  std::mutex& mutex() { return mutex_; }
  std::condition_variable& cond() { return cond_; }
  Stack& stack() { return stack_; }
  Clock& clock() { return clock_; }
  bool running() const { return !stopping_.load(); }

 private:
  Clock& clock_;
  Stack& stack_;
  std::mutex mutex_;
  std::condition_variable cond_;
  int wake_fd_ = -1;
  bool asleep_ = false;  // under mutex_: the loop has looked at the stack and will sleep
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::function<void()> round_hook_;
};

}  // namespace tundra
