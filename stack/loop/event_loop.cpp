// The loop's rounds: poll the stack under the lock, wake socket waiters, sleep in ppoll(2).
#include "stack/loop/event_loop.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

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

void EventLoop::run_once(std::optional<Duration> max_wait) {
  PollResult r;
  std::optional<Instant> deadline;
  int link_fd = -1;
  bool want_out = false;
  Instant now;
  // Read what has arrived before taking the lock: application threads may use the stack while
  // the read system calls run (Link::prefetch; only this thread receives).
  stack_.link().prefetch();
  {
    std::lock_guard lock(mutex_);
    asleep_ = false;
    now = clock_.now();
    r = stack_.poll(now);
    deadline = stack_.poll_at();
    link_fd = stack_.link().fd();
    want_out = stack_.link().wants_writable();
    // From here until the next round takes the lock, work handed over needs a wake-up; set under
    // the lock, so no hand-over falls between this look at the stack and the sleep.
    asleep_ = true;
  }
  if (r.socket_activity) cond_.notify_all();
  if (round_hook_) round_hook_();

  // Sleep until input, the next deadline, max_wait or a wake-up, whichever is first.
  const std::optional<Duration> wait = next_wait(now, deadline, max_wait, r.more);
  pollfd fds[2] = {{wake_fd_, POLLIN, 0},
                   {link_fd, static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0}};
  timespec ts{};
  if (wait) {
    ts.tv_sec = wait->count() / 1'000'000;
    ts.tv_nsec = (wait->count() % 1'000'000) * 1000;
  }
  const nfds_t n = link_fd >= 0 ? 2 : 1;
  const int rc = ::ppoll(fds, n, wait ? &ts : nullptr, nullptr);
  if (rc > 0 && (fds[0].revents & POLLIN)) {
    uint64_t count;
    [[maybe_unused]] auto got = ::read(wake_fd_, &count, sizeof count);
  }
}

void EventLoop::run() {
  while (!stopping_.load())
    run_once();
}

void EventLoop::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  cond_.notify_all();
}

}  // namespace tundra
