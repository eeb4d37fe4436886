// TxThread: a link's writes on a thread of their own. On a TUN device a write(2) is not a copy
// into a queue: the kernel runs its whole receive path for the datagram in the writer's system
// call, and what that sets off (a data segment woken up to its reader; an ACK that lets the
// kernel's TCP send its next dozens of segments, cut and checksummed in software). Done on the
// thread that holds the stack, that work stalls everything else; handed over, it runs on another
// core while the stack reads and answers the next batch.
//
// A hand-over costs a wake-up, which a lone cheap write (an HTTP response) does not repay, and
// delays the round's datagrams by it. So send() writes on the caller's thread when this thread is
// idle and batches have been cheap (the moving average of their expected write time, from the
// write times seen); else it queues, in order behind what is queued already.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "stack/base/buffer.hpp"
#include "stack/base/time.hpp"

namespace tundra::netif {

class TxThread {
 public:
  // Writes one datagram: 0 when sent, else the errno of the write. EAGAIN and ENOBUFS mean "the
  // device is busy, try again"; anything else loses the datagram (the link logs it).
  using WriteFn = std::function<int(const PacketBuffer&)>;
  // Called with the errno of a write that lost a datagram, on whichever thread wrote.
  using FailFn = std::function<void(int err, size_t size)>;
  // Nanoseconds on a steady clock; injected by tests to give writes a known cost.
  using NowFn = std::function<int64_t()>;

  struct Config {
    int fd = -1;              // polled for POLLOUT while the device is busy
    size_t max_queue = 1024;  // datagrams handed over and not yet written
    // Batches are written by the caller while their average expected write time is below this.
    // A 1500-byte bulk round to the kernel is some 40 writes of 4 us, a round under 1% loss
    // some 10; handing the lossy one over cost it a fifth of its throughput (the wake-up lands
    // on every round trip), the bulk one gains a fifth.
    Duration inline_below{100};
    std::chrono::milliseconds busy_wait{50};  // per wait for a busy device (at most 3 waits)
  };

  struct Stats {
    uint64_t packets = 0, bytes = 0;  // written
    uint64_t dropped = 0;             // lost: write failed, or the device stayed busy
    uint64_t inline_batches = 0;      // written by the caller
    uint64_t handed_over = 0;         // batches queued for the thread
  };

  TxThread(const Config& config, WriteFn write, FailFn fail, NowFn now = {});
  // Writes what is queued (each datagram bounded by busy_wait), then joins the thread.
  ~TxThread();
  TxThread(const TxThread&) = delete;
  TxThread& operator=(const TxThread&) = delete;

  // Sends `batch` in order, after everything sent before; leaves it empty. Never blocks for long:
  // when the queue is full it waits up to busy_wait for room, then drops what does not fit.
  // Callers are serialized (the stack's lock); the thread is the only other writer.
  void send(std::vector<PacketBuffer>& batch);

  // Waits (up to `limit`) until everything sent has been written or dropped; true if it was.
  bool drain(std::chrono::milliseconds limit);

  Stats stats() const;
  // Datagrams handed over and not yet taken by the thread.
  size_t queued() const;
  // The moving average of one write's duration (a new write weighs 1/8).
  std::chrono::nanoseconds write_cost() const { return ns(cost_ns_.load()); }
  // The moving average of a batch's expected write time (a new batch weighs 1/8).
  std::chrono::nanoseconds batch_cost() const;

 private:
  using ns = std::chrono::nanoseconds;
  void run();
  // One write: counted and timed when it went out, counted and reported when it failed for good.
  // False when the device was busy (nothing counted).
  bool try_write(const PacketBuffer& p);
  // try_write, waiting (bounded) while the device is busy, then dropping.
  void write_waiting(const PacketBuffer& p);

  Config config_;
  WriteFn write_;
  FailFn fail_;
  NowFn now_;

  mutable std::mutex mu_;
  std::condition_variable work_;     // the thread: something queued, or stop
  std::condition_variable room_;     // callers: the queue was taken (room, or drained)
  std::vector<PacketBuffer> queue_;  // handed over, in order
  std::vector<PacketBuffer> spent_;  // written; given back to the caller's thread to reuse
  bool busy_ = false;                // the thread is writing a batch it took
  bool asleep_ = false;              // the thread waits for work (a hand-over must wake it)
  bool stop_ = false;

  std::atomic<bool> stopping_{false};  // the destructor has begun
  bool gave_up_ = false;               // the thread's: stopping, and the device stayed busy
  std::atomic<int64_t> cost_ns_{0};
  int64_t batch_cost_ns_ = 0;  // guarded by mu_
  std::atomic<uint64_t> packets_{0}, bytes_{0}, dropped_{0}, inline_{0}, handed_{0};
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace tundra::netif
