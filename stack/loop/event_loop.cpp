// The loop's rounds: poll the stack under the lock, wake socket waiters, sleep in ppoll(2).
#include "stack/loop/event_loop.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace tundra {

std::optional<Duration> next_wait(Instant now, std::optional<Instant> deadline,
                                  std::optional<Duration> max_wait, bool more_input) {
  if (more_input) return Duration(0);
  std::optional<Duration> wait = max_wait;
  if (deadline) {
    const Duration until = *deadline > now ? *deadline - now : Duration(0);
    if (!wait || until < *wait) wait = until;
  }
  return wait;
}

EventLoop::EventLoop(Clock& clock, Stack& stack) : clock_(clock), stack_(stack) {
#ifdef __GLIBC__
  // The loop and application threads hand the stack's lock back and forth many times per
  // request, each holding it briefly: an adaptive mutex spins a little before sleeping, which
  // saves a futex sleep and wake-up most times (HTTP keep-alive, wrk -c50: +12% requests/s).
  // std::mutex is a plain pthread mutex here; it is re-made, unused, as the adaptive kind.
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_mutex_destroy(mutex_.native_handle());
  pthread_mutex_init(mutex_.native_handle(), &attr);
  pthread_mutexattr_destroy(&attr);
#endif
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

EventLoop::~EventLoop() {
  stop();
  ::close(wake_fd_);
}

void EventLoop::wake() {
  const uint64_t one = 1;
  // A full counter already means "wake up"; nothing else can go wrong worth reporting here.
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::round(Lock& lock, std::optional<Duration> max_wait, bool stop_on_activity) {
  // Read what has arrived before taking the lock: application threads may use the stack while
  // the read system calls run (Link::prefetch; only the driver receives).
  lock.unlock();
  stack_.link().prefetch();
  lock.lock();
  const Instant now = clock_.now();
  const PollResult r = stack_.poll(now);
  const std::optional<Instant> deadline = stack_.poll_at();
  const int link_fd = stack_.link().fd();
  const bool want_out = stack_.link().wants_writable();
  // Followers whose sockets this round made ready go off to use them; the others sleep on.
  woken_ready_ = followers_.empty() ? 0 : wake_followers(true);
  if (r.socket_activity && stop_on_activity) return;
  // The loop's thread does not sleep while an application thread waits to take over.
  if (loop_driving_ && handoff_wanted_) return;
  // From here until the round ends, work handed over needs a wake-up; set under the lock, so no
  // hand-over falls between this look at the stack and the sleep.
  asleep_ = true;
  lock.unlock();

  // Sleep until input, the next deadline, max_wait or a wake-up, whichever is first.
  const std::optional<Duration> wait = next_wait(now, deadline, max_wait, r.more);
  pollfd fds[2] = {{wake_fd_, POLLIN, 0},
                   {link_fd, static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0}};
  const nfds_t n = link_fd >= 0 ? 2 : 1;
  // Busy polling: look (without sleeping) for up to busy_poll_, but not past the wait. Input or
  // a wake-up seen here makes the ppoll below return at once; the time spent comes off its wait.
  std::optional<Duration> left = wait;
  bool busy_polled = false, busy_found = false;
  if (busy_poll_.count() > 0 && !(wait && wait->count() == 0)) {
    busy_polled = true;
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + (wait ? std::min(*wait, busy_poll_) : busy_poll_);
    const timespec zero{};
    do {
      busy_found = ::ppoll(fds, n, &zero, nullptr) != 0;
    } while (!busy_found && std::chrono::steady_clock::now() < until);
    if (wait) {
      const auto spent =
          std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
      left = std::max(*wait - spent, Duration::zero());
    }
  }
  timespec ts{};
  if (left) {
    ts.tv_sec = left->count() / 1'000'000;
    ts.tv_nsec = (left->count() % 1'000'000) * 1000;
  }
  const int rc = ::ppoll(fds, n, left ? &ts : nullptr, nullptr);
  if (rc > 0 && (fds[0].revents & POLLIN)) {
    uint64_t count;
    [[maybe_unused]] auto got = ::read(wake_fd_, &count, sizeof count);
  }
  lock.lock();
  asleep_ = false;
  if (busy_polled) ++stats_.busy_polls;
  if (busy_found) ++stats_.busy_poll_hits;
}

void EventLoop::run_once(std::optional<Duration> max_wait) {
  Lock lock(mutex_);
  driving_ = true;
  round(lock, max_wait, false);
  driving_ = false;
}

bool EventLoop::wait_impl(Lock& lock, std::optional<SteadyTime> deadline, ReadyRef ready) {
  using std::chrono::steady_clock;
  if (threaded_ && !driving_ && !stopping_.load()) {
    std::optional<Duration> max_wait;
    if (deadline) {
      const auto left = *deadline - steady_clock::now();
      if (left <= steady_clock::duration::zero()) return false;
      max_wait = std::chrono::ceil<Duration>(left);
    }
    driving_ = true;
    handoff_wanted_ = false;
    ++app_rounds_;
    ++stats_.app_rounds;
    round(lock, max_wait, true);
    driving_ = false;
    const auto ended = steady_clock::now();
    last_app_round_ = ended;
    ++app_rounds_;
    if (long_standby_) {
      long_standby_ = false;
      standby_.notify_one();
    }
    const bool in_time = !deadline || ended < *deadline;
    const size_t woken = std::exchange(woken_ready_, 0);
    const bool done = !in_time || ready() || stopping_.load();
    // Our wait ends, or goes on driving when nobody else has work. No follower is woken to
    // take over: we are most likely back in a moment (a thread that has read its data waits
    // again), and waking one every time cost a wake-up per round; if we are not back within
    // kHandover, the loop's thread stands in (run_thread).
    if (woken == 0 || done) return in_time;
    // The round made other threads' sockets ready, not ours: they drive from now on (the first
    // of them to wait again), and we follow, instead of waking them for every round we drive.
  } else if (threaded_ && loop_driving_) {
    // The loop's thread is in a round: ask it to hand over, and wait for the end of its round.
    handoff_wanted_ = true;
    ++stats_.handoffs;
    wake_locked();
  }
  if (stopping_.load()) return true;  // stop() woke the followers already: look again
  Follower me(ready);
  followers_.push_back(&me);
  // With followers the loop's thread stands by for kHandover only: if it sleeps for longer, it
  // looks again.
  if (standby_until_ && *standby_until_ > steady_clock::now() + kHandover) standby_.notify_one();
  bool in_time = true;
  while (!me.woken) {
    if (!deadline) {
      me.cv.wait(lock);
    } else if (me.cv.wait_until(lock, *deadline) == std::cv_status::timeout) {
      in_time = me.woken;
      break;
    }
  }
  followers_.erase(std::find(followers_.begin(), followers_.end(), &me));
  return in_time;
}

size_t EventLoop::wake_followers(bool only_ready) {
  size_t n = 0;
  for (Follower* f : followers_) {
    if (f->woken) continue;
    if (only_ready && !f->ready()) continue;
    f->woken = true;
    f->cv.notify_one();
    ++n;
  }
  stats_.followers_woken += n;
  return n;
}

void EventLoop::wake_one_follower() {
  for (Follower* f : followers_) {
    if (f->woken) continue;
    f->woken = true;
    f->cv.notify_one();
    ++stats_.followers_woken;
    return;
  }
}

void EventLoop::run_thread() {
  using std::chrono::steady_clock;
  ::pthread_setname_np(::pthread_self(), "tundra-loop");  // for top -H, perf and gdb
  Lock lock(mutex_);
  uint64_t seen_round = 0;
  while (!stopping_.load()) {
    // Stand by while an application thread drives or drove a moment ago (it is most likely back
    // soon, and a round of ours would only have to hand over again).
    const auto now = steady_clock::now();
    if (driving_ && app_rounds_ == seen_round) {
      // The same round as at our last look, asleep in ppoll: the stack is watched. Sleep until
      // that round ends (it tells us), not waking every standby time while the program is idle.
      long_standby_ = true;
      standby_.wait(lock);
      continue;
    }
    // While application threads follow, the driver's wait may end with none of them woken (it
    // comes back in a moment, most likely): if it does not, we take over after kHandover.
    const auto standby = followers_.empty() ? standby_time_
                                            : std::min<std::chrono::steady_clock::duration>(
                                                  standby_time_, kHandover);
    const bool recent = last_app_round_ && now - *last_app_round_ < standby;
    if (driving_ || recent) {
      seen_round = app_rounds_;
      const auto until = (driving_ ? now : *last_app_round_) + standby;
      standby_until_ = until;
      standby_.wait_until(lock, until);
      standby_until_.reset();
      continue;
    }
    driving_ = loop_driving_ = true;
    ++stats_.loop_rounds;
    round(lock, std::nullopt, false);
    driving_ = loop_driving_ = false;
    if (handoff_wanted_) {
      // Hand over: the waiting thread drives next; stand by as if it had just ended a round.
      handoff_wanted_ = false;
      last_app_round_ = steady_clock::now();
      if (woken_ready_ == 0) wake_one_follower();
    }
  }
}

CounterGroup EventLoop::report() const {
  CounterGroup g{"loop", {}};
  g.add("rounds on the loop's thread", stats_.loop_rounds);
  g.add("rounds on application threads", stats_.app_rounds);
  g.add("hand-overs from the loop's thread", stats_.handoffs);
  g.add("followers woken", stats_.followers_woken);
  if (busy_poll_.count() > 0) {
    g.add("busy polls before a sleep", stats_.busy_polls);
    g.add("busy polls that found input (no sleep)", stats_.busy_poll_hits);
  }
  return g;
}

void EventLoop::run() {
  while (!stopping_.load())
    run_once();
}

void EventLoop::start() {
  stopping_ = false;
  {
    std::lock_guard lock(mutex_);
    threaded_ = true;
  }
  thread_ = std::thread([this] { run_thread(); });
}

void EventLoop::stop() {
  stopping_ = true;
  wake();
  {
    // Under the lock, so that no thread falls asleep between its look at stopping_ and its wait.
    std::lock_guard lock(mutex_);
    wake_followers(false);
  }
  standby_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::lock_guard lock(mutex_);
  wake_followers(false);
}

}  // namespace tundra
