// EventLoop: runs the stack. A round reads the clock, polls the stack, and sleeps in ppoll(2)
// until the link's descriptor is ready, the stack's next deadline, or a wake-up — never past the
// next timer. Application threads reach the stack only through the socket facade, which takes
// this loop's lock (the protocol cores take none).
//
// Who runs the rounds: one thread at a time, the driver. Once start()ed, the loop has a thread of
// its own, but an application thread that has to wait for a socket drives the rounds itself
// while it waits, as a leader among followers: the datagram that makes its socket ready is read,
// processed and handed over on the thread that wants it, with no wake-up of another thread in
// between (the hand-over cost most of an HTTP request's time). Other waiting threads follow,
// each asleep on a condition of its own: after every round the driver wakes just the followers
// whose sockets are now ready (it asks their readiness, as the caller's own loop would), and if
// its own is not, it follows from then on and leaves the rounds to them — the thread that has
// work drives, and threads waiting for nothing sleep through it (in tundra-echo, two UDP
// threads woken by every round of a TCP transfer had cost a tenth of its CPU time). The loop's
// own thread stands by while application threads drive, and takes over when none has driven for
// a while (kStandby; kHandover while threads follow, which nobody wakes when a driver's wait
// ends), so timers run and input is read while the application is busy elsewhere.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

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
  // How long the loop's thread stands by while application threads follow: a driver's wait may
  // end with none of them woken (it is back in a moment, most likely, and waking one every time
  // cost a wake-up per round), and if it is not back, input must not wait kStandby.
  static constexpr std::chrono::microseconds kHandover{1000};

  // Runs one round on the calling thread: poll the stack, then wait at most `max_wait` (or until
  // the next deadline or a wake-up) for something to do. Returns after the wait. For a loop
  // without a thread (tests drive it by hand); with one, rounds are the loop's business.
  void run_once(std::optional<Duration> max_wait = std::nullopt);
  // For a facade call that holds `lock` (on mutex()) and must wait until its socket is ready:
  // lets the stack move — by driving a round when no other thread drives, or else following
  // until a round makes it `ready` (called under the lock, by whichever thread drove) or it is
  // asked to drive — and returns, for the caller to look again. False once `deadline` has
  // passed.
  template <class Ready>
  bool wait(Lock& lock, std::optional<SteadyTime> deadline, const Ready& ready) {
    return wait_impl(lock, deadline, ReadyRef{&ready, [](const void* f) {
                                                return (*static_cast<const Ready*>(f))();
                                              }});
  }
  // Runs rounds until stop() is called.
  void run();
  // Runs the loop on a thread of its own until stop().
  void start();
  // Sets how long the loop's thread stands by (kStandby unless set; tests make it long or short
  // to see who drives). Call before start().
  void set_standby(std::chrono::steady_clock::duration d) { standby_time_ = d; }
  // Busy polling (as Linux's net.core.busy_poll): before a round sleeps, it looks for input
  // without sleeping for up to `d` (never past the stack's next deadline). A datagram that comes
  // meanwhile is read at once, without the tens of microseconds an idle CPU takes to wake up,
  // at the price of a CPU kept busy. Zero (the default): sleep at once. Call before start().
  void set_busy_poll(Duration d) { busy_poll_ = d; }
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
    wake_followers(false);
    wake_locked();
  }

  // The lock that guards the stack; the facade holds it in every call.
  std::mutex& mutex() { return mutex_; }
  Stack& stack() { return stack_; }
  Clock& clock() { return clock_; }
  bool running() const { return !stopping_.load(); }
  // start()ed and not stopped: application threads may drive. Call holding mutex().
  bool started() const { return threaded_ && !stopping_.load(); }
  // Who drove how many rounds ("loop" counters). Call holding mutex().
  CounterGroup report() const;
  // Application threads asleep in wait() now, following the driver. Call holding mutex().
  int followers() const { return static_cast<int>(followers_.size()); }

 private:
  // A caller's readiness condition, without copying it (it lives in the caller's frame).
  struct ReadyRef {
    const void* f;
    bool (*call)(const void*);
    bool operator()() const { return call(f); }
  };
  // An application thread asleep in wait(), following the driver.
  struct Follower {
    explicit Follower(ReadyRef r) : ready(r) {}
    std::condition_variable cv;
    ReadyRef ready;
    bool woken = false;
  };
  bool wait_impl(Lock& lock, std::optional<SteadyTime> deadline, ReadyRef ready);
  // Wakes the followers that are ready now (`only_ready`), or all of them; returns how many it
  // woke. Under mutex_.
  size_t wake_followers(bool only_ready);
  // Wakes the follower that has waited longest, to drive next (if there is one). Under mutex_.
  void wake_one_follower();

  Clock& clock_;
  Stack& stack_;
  std::mutex mutex_;
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
  std::vector<Follower*> followers_;  // oldest first
  size_t woken_ready_ = 0;            // followers the last round woke because they were ready
  std::optional<SteadyTime> last_app_round_;  // when an application thread last ended a round
  std::chrono::steady_clock::duration standby_time_ = kStandby;
  uint64_t app_rounds_ = 0;    // counts application rounds' starts and ends
  bool long_standby_ = false;  // the loop's thread sleeps until an application round ends
  std::optional<SteadyTime> standby_until_;  // ... or until then
  std::condition_variable standby_;          // the loop's thread, standing by
  Duration busy_poll_{0};                    // set_busy_poll()
  struct {
    uint64_t loop_rounds = 0, app_rounds = 0, handoffs = 0, followers_woken = 0;
    uint64_t busy_polls = 0, busy_poll_hits = 0;  // counted after the sleep, under mutex_
  } stats_;
};

}  // namespace tundra
