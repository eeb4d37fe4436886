// TxThread: cheap batches written by the caller, costly ones by the thread, in order either way;
// a busy device waited for, failures and a full queue counted, the queue written out on
// destruction. Writes go to a recording function; their cost comes from an injected clock.
#include "netif/tx_thread.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "netif/unique_fd.hpp"
#include "tests/unit/test_datagrams.hpp"

namespace tundra::netif {
namespace {

using linktest::numbered;
using linktest::seq_of;
using namespace std::chrono_literals;

// What the write function saw, from whichever thread.
struct Recorder {
  std::mutex mu;
  std::vector<uint32_t> seqs;
  std::vector<std::thread::id> threads;
  std::vector<std::pair<int, size_t>> failures;
  // Errors to answer, by sequence number, once each (consumed as they are returned).
  std::vector<std::pair<uint32_t, int>> errors;
  // While closed, a write blocks (the thread is "busy" for as long as a test wants).
  bool gate_open = true;
  std::thread::id gate_exempt;  // a thread whose writes pass the closed gate
  std::condition_variable gate;
  int blocked = 0;  // writes waiting at the gate
  std::condition_variable blocked_cv;

  bool always_busy = false;  // every write answers EAGAIN

  int write(const PacketBuffer& p) {
    std::unique_lock l(mu);
    if (always_busy) return EAGAIN;
    const uint32_t seq = seq_of(p);
    for (auto it = errors.begin(); it != errors.end(); ++it) {
      if (it->first == seq) {
        const int err = it->second;
        errors.erase(it);
        return err;
      }
    }
    if (!gate_open && std::this_thread::get_id() != gate_exempt) {
      ++blocked;
      blocked_cv.notify_all();
      gate.wait_for(l, 10s, [&] { return gate_open; });
      --blocked;
    }
    seqs.push_back(seq);
    threads.push_back(std::this_thread::get_id());
    return 0;
  }
  void fail(int err, size_t size) {
    std::lock_guard l(mu);
    failures.emplace_back(err, size);
  }
  void close_gate() {
    std::lock_guard l(mu);
    gate_open = false;
  }
  void open_gate() {
    {
      std::lock_guard l(mu);
      gate_open = true;
    }
    gate.notify_all();
  }
  bool wait_blocked() {
    std::unique_lock l(mu);
    return blocked_cv.wait_for(l, 10s, [&] { return blocked > 0; });
  }
};

// A clock that moves `step` ns each time it is read: every write then costs `step`.
struct StepClock {
  std::atomic<int64_t> t{0}, step{0};
  int64_t operator()() { return t.fetch_add(step.load()) + step.load(); }
};

class TxThreadTest : public testing::Test {
 protected:
  std::unique_ptr<TxThread> make(TxThread::Config c = {}) {
    return std::make_unique<TxThread>(
        c, [this](const PacketBuffer& p) { return rec_.write(p); },
        [this](int err, size_t size) { rec_.fail(err, size); }, [this] { return clock_(); });
  }
  static std::vector<PacketBuffer> batch(uint32_t first, size_t n) {
    std::vector<PacketBuffer> b;
    for (uint32_t i = 0; i < n; ++i)
      b.push_back(numbered(first + i));
    return b;
  }
  // Makes writes cost 500 us and sends single datagrams until the thread takes one: from then on
  // every batch is worth a hand-over (bounded: the averages get there within a few dozen).
  void teach_costly(TxThread& t, uint32_t& seq) {
    clock_.step = 500'000;
    for (int i = 0; i < 64 && t.stats().handed_over == 0; ++i) {
      auto b = batch(seq++, 1);
      t.send(b);
      ASSERT_TRUE(t.drain(5s));
    }
    ASSERT_GT(t.stats().handed_over, 0u) << "costly writes never handed over";
  }

  // Teaches the thread that writes are costly, then hands it `n` datagrams it stays stuck
  // writing until rec_.open_gate().
  void occupy(TxThread& t, uint32_t& seq, size_t n) {
    teach_costly(t, seq);
    rec_.close_gate();
    auto taken = batch(seq, n);
    seq += static_cast<uint32_t>(n);
    t.send(taken);
    ASSERT_TRUE(rec_.wait_blocked());
  }

  Recorder rec_;
  StepClock clock_;
};

TEST_F(TxThreadTest, CheapBatchIsWrittenOnTheCallersThreadBeforeSendReturns) {
  auto t = make();
  clock_.step = 1000;  // 1 us a write: 3 of them are well under inline_below (20 us)
  auto b = batch(0, 3);
  t->send(b);
  EXPECT_TRUE(b.empty());
  std::lock_guard l(rec_.mu);
  ASSERT_EQ(rec_.seqs, (std::vector<uint32_t>{0, 1, 2}));
  for (auto id : rec_.threads)
    EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(t->stats().inline_batches, 1u);
  EXPECT_EQ(t->stats().handed_over, 0u);
  EXPECT_EQ(t->stats().packets, 3u);
  EXPECT_EQ(t->stats().bytes, 3u * 64);
}

TEST_F(TxThreadTest, CostlyWritesGoToTheThreadAndKeepTheirOrder) {
  auto t = make();
  uint32_t seq = 0;
  teach_costly(*t, seq);
  const uint32_t first = seq;
  const uint64_t handed_before = t->stats().handed_over;
  for (size_t n = 1; n <= 40; ++n) {  // batches of 1..40, 820 datagrams
    auto b = batch(seq, n);
    seq += static_cast<uint32_t>(n);
    t->send(b);
  }
  ASSERT_TRUE(t->drain(10s));
  EXPECT_EQ(t->stats().handed_over - handed_before, 40u);
  std::lock_guard l(rec_.mu);
  ASSERT_EQ(rec_.seqs.size(), seq);
  for (uint32_t i = 0; i < seq; ++i)
    ASSERT_EQ(rec_.seqs[i], i) << "out of order at " << i;
  for (uint32_t i = first; i < seq; ++i)
    EXPECT_NE(rec_.threads[i], std::this_thread::get_id()) << "datagram " << i;
  EXPECT_EQ(t->stats().packets, seq);
}

TEST_F(TxThreadTest, RoundsOfManyCheapWritesAreHandedOverButNotOneOddRound) {
  auto t = make();
  clock_.step = 4'000;  // 4 us a write: a datagram alone is cheap, rounds of forty are not
  uint32_t seq = 0;
  for (int i = 0; i < 40; ++i) {
    auto one = batch(seq++, 1);
    t->send(one);
  }
  EXPECT_EQ(t->stats().handed_over, 0u);
  EXPECT_LT(t->batch_cost(), 10us);
  // One round of forty among single datagrams stays with the caller: the average moves an eighth.
  auto forty = batch(seq, 40);
  seq += 40;
  t->send(forty);
  EXPECT_EQ(t->stats().handed_over, 0u);
  // Rounds of forty in a row: handed over within a few.
  int rounds = 1;
  for (; rounds < 20 && t->stats().handed_over == 0; ++rounds) {
    auto more = batch(seq, 40);
    seq += 40;
    t->send(more);
  }
  EXPECT_EQ(t->stats().handed_over, 1u);
  EXPECT_LE(rounds, 8) << "the average took too long to follow";
  EXPECT_GE(t->batch_cost(), 100us);
  ASSERT_TRUE(t->drain(5s));
  EXPECT_EQ(t->stats().packets, seq);
  std::lock_guard l(rec_.mu);
  for (uint32_t i = 0; i < seq; ++i)
    ASSERT_EQ(rec_.seqs[i], i);
}

TEST_F(TxThreadTest, WhileTheThreadIsBusyEvenACheapBatchQueuesBehindIt) {
  auto t = make();
  clock_.step = 1000;  // cheap writes: the caller writes every batch itself, unless...
  {
    std::lock_guard l(rec_.mu);
    rec_.errors = {{1, EAGAIN}};  // ...the device is busy: 1 and 2 go to the thread,
    rec_.gate_open = false;       // which then stays stuck writing them
    rec_.gate_exempt = std::this_thread::get_id();
  }
  auto first = batch(0, 3);
  t->send(first);
  ASSERT_TRUE(rec_.wait_blocked());
  auto cheap = batch(3, 2);
  t->send(cheap);
  EXPECT_EQ(t->queued(), 2u) << "written past the older datagrams the thread holds";
  rec_.open_gate();
  ASSERT_TRUE(t->drain(5s));
  std::lock_guard l(rec_.mu);
  EXPECT_EQ(rec_.seqs, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_NE(rec_.threads.back(), std::this_thread::get_id());
}

TEST_F(TxThreadTest, BusyDeviceIsRetriedAndTheRestOfAnInlineBatchHandedOver) {
  auto t = make();
  clock_.step = 1000;
  rec_.errors = {{1, EAGAIN}, {1, ENOBUFS}};  // datagram 1 finds the device busy twice
  auto b = batch(0, 3);
  t->send(b);
  ASSERT_TRUE(t->drain(5s));
  EXPECT_EQ(t->stats().inline_batches, 1u);
  EXPECT_EQ(t->stats().handed_over, 1u);
  EXPECT_EQ(t->stats().dropped, 0u);
  std::lock_guard l(rec_.mu);
  EXPECT_EQ(rec_.seqs, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(rec_.threads[0], std::this_thread::get_id());
  EXPECT_NE(rec_.threads[1], std::this_thread::get_id());
}

TEST_F(TxThreadTest, DeviceThatStaysBusyLosesTheDatagramCounted) {
  TxThread::Config c;
  c.busy_wait = 1ms;
  auto t = make(c);
  uint32_t seq = 0;
  teach_costly(*t, seq);
  for (int i = 0; i < 4; ++i)  // the first try and three more after waiting
    rec_.errors.emplace_back(seq, EAGAIN);
  auto b = batch(seq, 2);
  t->send(b);
  ASSERT_TRUE(t->drain(5s));
  EXPECT_EQ(t->stats().dropped, 1u);
  std::lock_guard l(rec_.mu);
  ASSERT_EQ(rec_.failures.size(), 1u);
  EXPECT_EQ(rec_.failures[0].first, ENOBUFS);
  EXPECT_EQ(rec_.seqs.back(), seq + 1) << "the next one still goes";
}

TEST_F(TxThreadTest, FailedWriteIsDroppedAndReportedAndTheRestGoOn) {
  auto t = make();
  rec_.errors = {{1, EIO}};
  auto b = batch(0, 3);
  t->send(b);
  ASSERT_TRUE(t->drain(5s));
  EXPECT_EQ(t->stats().dropped, 1u);
  EXPECT_EQ(t->stats().packets, 2u);
  std::lock_guard l(rec_.mu);
  EXPECT_EQ(rec_.seqs, (std::vector<uint32_t>{0, 2}));
  ASSERT_EQ(rec_.failures.size(), 1u);
  EXPECT_EQ(rec_.failures[0], (std::pair<int, size_t>{EIO, 64}));
}

TEST_F(TxThreadTest, FullQueueWaitsAMomentThenDropsWhatDoesNotFit) {
  TxThread::Config c;
  c.max_queue = 4;
  c.busy_wait = 20ms;
  auto t = make(c);
  uint32_t seq = 0;
  occupy(*t, seq, 1);
  auto six = batch(seq, 6);
  seq += 6;
  const auto start = std::chrono::steady_clock::now();
  t->send(six);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 15ms) << "dropped without waiting";
  EXPECT_EQ(t->stats().dropped, 2u);
  EXPECT_EQ(t->queued(), 4u);
  rec_.open_gate();
  ASSERT_TRUE(t->drain(5s));
  std::lock_guard l(rec_.mu);
  ASSERT_EQ(rec_.failures.size(), 2u);
  EXPECT_EQ(rec_.failures[0].first, ENOBUFS);
  ASSERT_GE(rec_.seqs.size(), 5u);
  const std::vector<uint32_t> tail(rec_.seqs.end() - 5, rec_.seqs.end());
  EXPECT_EQ(tail, (std::vector<uint32_t>{seq - 7, seq - 6, seq - 5, seq - 4, seq - 3}))
      << "the first four of the six kept, in order";
}

TEST_F(TxThreadTest, DestructionWritesWhatIsQueued) {
  auto t = make();
  uint32_t seq = 0;
  occupy(*t, seq, 10);  // the thread holds these ten
  auto waiting = batch(seq, 100);
  seq += 100;
  t->send(waiting);
  EXPECT_EQ(t->queued(), 100u);
  rec_.open_gate();
  t.reset();  // at whatever point of the ten: the hundred queued behind them still go out
  std::lock_guard l(rec_.mu);
  ASSERT_EQ(rec_.seqs.size(), seq);
  EXPECT_EQ(rec_.seqs.back(), seq - 1);
}

TEST_F(TxThreadTest, DestructionGivesUpSoonOnADeviceThatStaysBusy) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd never_writable(pipe_fds[0]), other(pipe_fds[1]);  // a read end: POLLOUT never comes
  TxThread::Config c;
  c.fd = never_writable.get();
  c.busy_wait = 20ms;
  auto t = make(c);
  uint32_t seq = 0;
  occupy(*t, seq, 1);
  auto waiting = batch(seq, 100);
  seq += 100;
  t->send(waiting);
  {
    std::lock_guard l(rec_.mu);
    rec_.always_busy = true;  // from the next write on
  }
  rec_.open_gate();
  const auto start = std::chrono::steady_clock::now();
  t.reset();
  // Three waits for each of 100 datagrams would be 6 s; one wait in all is 20 ms.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  std::lock_guard l(rec_.mu);
  EXPECT_EQ(rec_.failures.size(), 100u);
}

}  // namespace
}  // namespace tundra::netif
