// TxThread: batches written by the caller or queued for the thread, in order either way.
#include "netif/tx_thread.hpp"

#include <poll.h>
#include <pthread.h>

#include <cerrno>
#include <utility>

namespace tundra::netif {

namespace {

constexpr int kBusyWaits = 3;      // polls for room before a datagram is dropped
constexpr size_t kSpentMax = 256;  // written buffers kept for the caller's thread to reuse

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TxThread::TxThread(const Config& config, WriteFn write, FailFn fail, NowFn now)
    : config_(config),
      write_(std::move(write)),
      fail_(std::move(fail)),
      now_(now ? std::move(now) : NowFn(steady_ns)),
      thread_([this] { run(); }) {}

TxThread::~TxThread() {
  stopping_ = true;
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void TxThread::send(std::vector<PacketBuffer>& batch) {
  if (batch.empty()) return;
  std::vector<PacketBuffer> spent;  // released here, after the lock: into this thread's free lists
  size_t first_queued = batch.size();
  {
    std::unique_lock l(mu_);
    spent.swap(spent_);
    // The batches' expected write time, averaged: a bulk transfer's rounds hand over, a
    // request-response's stay with the caller, without flipping on one odd batch.
    const int64_t expected =
        cost_ns_.load(std::memory_order_relaxed) * static_cast<int64_t>(batch.size());
    batch_cost_ns_ += (expected - batch_cost_ns_) / 8;
    if (busy_ || !queue_.empty() || ns(batch_cost_ns_) >= config_.inline_below) first_queued = 0;
  }
  if (first_queued > 0) {
    inline_.fetch_add(1, std::memory_order_relaxed);
    // The thread is idle and nothing is queued, so nothing can be written out of order here; a
    // busy device hands the rest over (the thread waits for room).
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!try_write(batch[i])) {
        first_queued = i;
        break;
      }
    }
  }
  if (first_queued < batch.size()) {
    bool wake = false;
    {
      std::unique_lock l(mu_);
      const size_t want = batch.size() - first_queued;
      if (queue_.size() + want > config_.max_queue)
        room_.wait_for(l, config_.busy_wait,
                       [&] { return queue_.size() + want <= config_.max_queue; });
      for (size_t i = first_queued; i < batch.size(); ++i) {
        if (queue_.size() < config_.max_queue) {
          queue_.push_back(std::move(batch[i]));
        } else {
          dropped_.fetch_add(1, std::memory_order_relaxed);
          if (fail_) fail_(ENOBUFS, batch[i].size());
        }
      }
      handed_.fetch_add(1, std::memory_order_relaxed);
      wake = asleep_;
    }
    if (wake) work_.notify_one();
  }
  batch.clear();
}

bool TxThread::try_write(const PacketBuffer& p) {
  const int64_t t0 = now_();
  const int err = write_(p);
  if (err == EAGAIN || err == ENOBUFS) return false;
  if (err != 0) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    if (fail_) fail_(err, p.size());
    return true;
  }
  const int64_t took = now_() - t0;
  packets_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(p.size(), std::memory_order_relaxed);
  // Only one thread writes at a time (the caller only while this thread is idle).
  const int64_t cost = cost_ns_.load(std::memory_order_relaxed);
  cost_ns_.store(cost + (took - cost) / 8, std::memory_order_relaxed);
  return true;
}

void TxThread::write_waiting(const PacketBuffer& p) {
  // While stopping, a device that stays busy gets one wait in all, not three per datagram: a
  // full queue would otherwise hold the program's exit for minutes.
  for (int waits = 0; !try_write(p); ++waits) {
    if (waits == kBusyWaits || (stopping_.load() && (waits == 1 || gave_up_))) {
      if (stopping_.load()) gave_up_ = true;
      dropped_.fetch_add(1, std::memory_order_relaxed);
      if (fail_) fail_(ENOBUFS, p.size());
      return;
    }
    pollfd pfd{config_.fd, POLLOUT, 0};
    if (config_.fd >= 0) ::poll(&pfd, 1, static_cast<int>(config_.busy_wait.count()));
  }
}

void TxThread::run() {
  // Named for top -H, perf and gdb (at most 15 characters).
  ::pthread_setname_np(::pthread_self(), "tundra-tx");
  std::vector<PacketBuffer> batch;
  std::unique_lock l(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stop_) return;
      asleep_ = true;
      work_.wait(l, [&] { return stop_ || !queue_.empty(); });
      asleep_ = false;
      continue;
    }
    batch.swap(queue_);
    busy_ = true;
    room_.notify_all();
    l.unlock();
    for (const PacketBuffer& p : batch)
      write_waiting(p);
    l.lock();
    busy_ = false;
    for (PacketBuffer& p : batch)
      if (spent_.size() < kSpentMax) spent_.push_back(std::move(p));
    batch.clear();                           // what did not fit in spent_ is released here
    if (queue_.empty()) room_.notify_all();  // drain() waits for this
  }
}

bool TxThread::drain(std::chrono::milliseconds limit) {
  std::unique_lock l(mu_);
  return room_.wait_for(l, limit, [&] { return queue_.empty() && !busy_; });
}

TxThread::Stats TxThread::stats() const {
  Stats s;
  s.packets = packets_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.inline_batches = inline_.load(std::memory_order_relaxed);
  s.handed_over = handed_.load(std::memory_order_relaxed);
  return s;
}

std::chrono::nanoseconds TxThread::batch_cost() const {
  std::lock_guard l(mu_);
  return ns(batch_cost_ns_);
}

size_t TxThread::queued() const {
  std::lock_guard l(mu_);
  return queue_.size();
}

}  // namespace tundra::netif
