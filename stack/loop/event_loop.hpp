// EventLoop: runs the stack. A round reads the clock, polls the stack, and sleeps in ppoll(2)
// until the link's descriptor is ready, the stack's next deadline, or a wake-up — never past the
// next timer. Application threads reach the stack only through the socket facade, which takes
// this loop's lock (the protocol cores take none).
//
// Who runs the rounds: one thread at a time, the driver. Once start()ed, the loop has a thread of
// its own, but an application thread that has to wait for a socket drives the rounds itself
// while it waits, as a leader among followers: the datagram that makes its socket ready is read,
// processed and handed over on the thread that wants it, with no wake-up of another thread in
// between (the hand-over cost most of an HTTP request's time). Other waiting threads sleep on
// the condition, and one of them takes over when the driver's wait ends. The loop's own thread
// stands by while application threads drive, and takes over when none has driven for a while
// (kStandby), so timers run and input is read while the application is busy elsewhere.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "stack/base/counters.hpp"
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

  using Lock = std::unique_lock<std::mutex>;
  using SteadyTime = std::chrono::steady_clock::time_point;

  // How long the loop's thread leaves the rounds to application threads after one last drove.
  // Longer than a busy server spends between two waits (tundra-httpd answering 50 connections
  // takes about 1 ms), or the loop's thread takes over on every pass and the two threads fight
  // over the lock (1 ms: 37,000 rounds in 4 s on the loop's thread, and 31k requests/s against
  // 47k); short against TCP's timers (delayed ACK 40 ms, RTO at least 200 ms).
  static constexpr std::chrono::microseconds kStandby{10000};

  // Runs one round on the calling thread: poll the stack, then wait at most `max_wait` (or until
  // the next deadline or a wake-up) for something to do. Returns after the wait. For a loop
  // without a thread (tests drive it by hand); with one, rounds are the loop's business.
  void run_once(std::optional<Duration> max_wait = std::nullopt);
  // For a facade call that holds `lock` (on mutex()) and must wait until its socket is ready:
  // lets the stack move — by driving a round when no other thread drives, or else sleeping on
  // cond() — and returns, for the caller to look again. False once `deadline` has passed.
  bool wait(Lock& lock, std::optional<SteadyTime> deadline);
  // Runs rounds until stop() is called.
  void run();
  // Runs the loop on a thread of its own until stop().
  void start();
  // Sets how long the loop's thread stands by (kStandby unless set; tests make it long or short
  // to see who drives). Call before start().
  void set_standby(std::chrono::steady_clock::duration d) { standby_time_ = d; }
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

  // Wakes every thread waiting in wait(), the driver's sleep included, to look again (a socket
  // was closed or shut down under them). Call holding mutex().
  void notify_waiters() {
    cond_.notify_all();
    wake_locked();
  }

  // The lock that guards the stack and the condition socket waiters sleep on; notified after
  // every round that moved socket data.
  std::mutex& mutex() { return mutex_; }
  std::condition_variable& cond() { return cond_; }
  Stack& stack() { return stack_; }
  Clock& clock() { return clock_; }
  bool running() const { return !stopping_.load(); }
  // start()ed and not stopped: application threads may drive. Call holding mutex().
  bool started() const { return threaded_ && !stopping_.load(); }
  // Who drove how many rounds ("loop" counters). Call holding mutex().
  CounterGroup report() const;
  // Application threads asleep in wait() now, following the driver. Call holding mutex().
  int followers() const { return waiters_; }

 private:
  Clock& clock_;
  Stack& stack_;
  std::mutex mutex_;
  std::condition_variable cond_;
  int wake_fd_ = -1;
  bool asleep_ = false;  // under mutex_: the loop has looked at the stack and will sleep
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // One round by the driver: called and returns with `lock` held. With `stop_on_activity`, it
  // returns without sleeping when the round made some socket ready.
  void round(Lock& lock, std::optional<Duration> max_wait, bool stop_on_activity);
  // The loop thread's rounds, standing by while application threads drive.
  void run_thread();

  // Under mutex_:
  bool threaded_ = false;        // start()ed: application threads may drive
  bool driving_ = false;         // some thread is in a round
  bool loop_driving_ = false;    // ... and it is the loop's own thread
  bool handoff_wanted_ = false;  // an application thread waits to drive: the loop's thread yields
  int waiters_ = 0;              // application threads sleeping on cond_
  std::optional<SteadyTime> last_app_round_;  // when an application thread last ended a round
  std::chrono::steady_clock::duration standby_time_ = kStandby;
  uint64_t app_rounds_ = 0;          // counts application rounds' starts and ends
  bool long_standby_ = false;        // the loop's thread sleeps until an application round ends
  std::condition_variable standby_;  // the loop's thread, standing by
  struct {
    uint64_t loop_rounds = 0, app_rounds = 0, handoffs = 0;
  } stats_;
};

}  // namespace tundra
