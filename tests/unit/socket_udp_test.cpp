// The UDP socket facade: errno-style errors as the kernel gives them, datagrams both ways through
// the stack, blocking calls woken by the loop (or driving it themselves), timeouts, and close
// waking a blocked caller.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string_view>
#include <thread>

#include "stack/loop/event_loop.hpp"
#include "stack/socket/socket_api.hpp"
#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);

class SocketFixture : public ::testing::Test {
 protected:
  SocketFixture() : stack(link, config()), loop(clock, stack), api(loop) {}

  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.seed = 3;
    return c;
  }

  // One loop round without waiting.
  void round() { loop.run_once(Duration(0)); }

  // Queues a datagram from the peer, under the loop's lock (the loop thread may be running).
  void inject_udp(uint16_t sport, uint16_t dport, const Bytes& data, ipv4::Address from = kPeer) {
    std::lock_guard lock(loop.mutex());
    link.inject(ip_datagram(ip_header(from, kUs, ipv4::Protocol::Udp),
                            udp_datagram(from, sport, kUs, dport, data)));
  }

  int bound_socket(uint16_t port) {
    const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_GE(fd, 0);
    auto a = sin(ipv4::Address{}, port);
    EXPECT_EQ(api.bind(fd, sa(a), sizeof a), 0);
    return fd;
  }

  SimClock clock;
  CaptureLink link;
  Stack stack;
  EventLoop loop;
  sock::SocketApi api;
};

TEST_F(SocketFixture, SocketRefusesWhatItDoesNotSupport) {
  EXPECT_EQ(api.socket(AF_INET6, SOCK_DGRAM, 0), -1);
  EXPECT_EQ(errno, EAFNOSUPPORT);
  EXPECT_EQ(api.socket(AF_INET, SOCK_RAW, 0), -1);
  EXPECT_EQ(errno, ESOCKTNOSUPPORT);
  EXPECT_EQ(api.socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
  EXPECT_EQ(errno, EPROTONOSUPPORT);
  EXPECT_EQ(api.socket(AF_INET, SOCK_DGRAM, 0), 3);  // the lowest free descriptor
  EXPECT_EQ(api.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP), 4);
}

TEST_F(SocketFixture, BindErrorsAreTheKernels) {
  const int a = bound_socket(7);
  const int b = api.socket(AF_INET, SOCK_DGRAM, 0);
  auto same = sin(ipv4::Address{}, 7);
  EXPECT_EQ(api.bind(b, sa(same), sizeof same), -1);
  EXPECT_EQ(errno, EADDRINUSE);
  auto other = sin(ipv4::Address(10, 0, 0, 9), 8);
  EXPECT_EQ(api.bind(b, sa(other), sizeof other), -1);
  EXPECT_EQ(errno, EADDRNOTAVAIL);
  auto again = sin(kUs, 9);
  EXPECT_EQ(api.bind(a, sa(again), sizeof again), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(api.bind(b, sa(again), 4), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(api.bind(99, sa(again), sizeof again), -1);
  EXPECT_EQ(errno, EBADF);
  // Closing frees the port.
  EXPECT_EQ(api.close(a), 0);
  EXPECT_EQ(api.bind(b, sa(same), sizeof same), 0);
  EXPECT_EQ(api.close(a), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(SocketFixture, SendtoEmitsAChecksummedDatagramFromAnEphemeralPort) {
  const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  auto to = sin(kPeer, 5353);
  const Bytes msg = bytes_of("hello, kernel");
  ASSERT_EQ(api.sendto(fd, msg.data(), msg.size(), 0, sa(to), sizeof to), ssize_t(msg.size()));
  round();
  auto out = link.take_sent();
  ASSERT_EQ(out.size(), 1u);
  auto ip = ipv4::Repr::parse(out[0]);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->src, kUs);
  EXPECT_EQ(ip->dst, kPeer);
  auto u = wire::udp::Repr::parse(std::span(out[0]).subspan(20), ip->src, ip->dst);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->dst_port, 5353);
  EXPECT_GE(u->src_port, 49152);
  EXPECT_EQ(Bytes(out[0].begin() + 28, out[0].end()), msg);
  sockaddr_in name{};
  socklen_t len = sizeof name;
  ASSERT_EQ(api.getsockname(fd, sa(name), &len), 0);
  EXPECT_EQ(ntohs(name.sin_port), u->src_port);
}

TEST_F(SocketFixture, SendtoErrors) {
  const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  const Bytes msg = pattern(10);
  EXPECT_EQ(api.send(fd, msg.data(), msg.size(), 0), -1);
  EXPECT_EQ(errno, EDESTADDRREQ);
  auto far = sin(ipv4::Address(192, 0, 2, 1), 9);
  EXPECT_EQ(api.sendto(fd, msg.data(), msg.size(), 0, sa(far), sizeof far), -1);
  EXPECT_EQ(errno, ENETUNREACH);
  const Bytes huge(70000);
  auto to = sin(kPeer, 9);
  EXPECT_EQ(api.sendto(fd, huge.data(), huge.size(), 0, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  EXPECT_EQ(api.sendto(42, msg.data(), msg.size(), 0, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(SocketFixture, LargeDatagramGoesOutFragmented) {
  const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  auto to = sin(kPeer, 9);
  const Bytes big = pattern(4000);
  ASSERT_EQ(api.sendto(fd, big.data(), big.size(), 0, sa(to), sizeof to), 4000);
  round();
  EXPECT_EQ(link.take_sent().size(), 3u);
}

TEST_F(SocketFixture, RecvfromNonBlockingThenData) {
  const int fd = bound_socket(7);
  char buf[64];
  EXPECT_EQ(api.recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);
  inject_udp(40000, 7, bytes_of("ping"));
  round();
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ASSERT_EQ(api.recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, sa(from), &len), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  EXPECT_EQ(ntohs(from.sin_port), 40000);
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), kPeer.value());
  EXPECT_EQ(len, socklen_t(sizeof from));
}

TEST_F(SocketFixture, TruncationAndMsgTrunc) {
  const int fd = bound_socket(7);
  inject_udp(1, 7, pattern(100));
  inject_udp(1, 7, pattern(100));
  round();
  char buf[10];
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, MSG_DONTWAIT), 10);  // the rest of the datagram is gone
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC), 100);
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
}

TEST_F(SocketFixture, NonBlockingByFcntl) {
  const int fd = bound_socket(7);
  EXPECT_EQ(api.fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  ASSERT_EQ(api.fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  char buf[4];
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(SocketFixture, ReceiveBufferFullDropsAndCounts) {
  const int fd = bound_socket(7);
  int small = 1024;  // doubled to 2048, as Linux does
  ASSERT_EQ(api.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_EQ(api.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
  EXPECT_EQ(v, 2048);
  for (int i = 0; i < 10; ++i)
    inject_udp(1, 7, pattern(500));
  round();
  EXPECT_GT(stack.udp().counters().rcvbuf_full, 0u);
  EXPECT_EQ(stack.udp().counters().rcvbuf_full + stack.udp().counters().delivered, 10u);
}

TEST_F(SocketFixture, ConnectedSocketFiltersOtherSources) {
  const int fd = bound_socket(7);
  auto peer = sin(kPeer, 5000);
  ASSERT_EQ(api.connect(fd, sa(peer), sizeof peer), 0);
  inject_udp(5001, 7, bytes_of("other port"));
  inject_udp(5000, 7, bytes_of("peer"));
  round();
  char buf[32];
  ASSERT_EQ(api.recv(fd, buf, sizeof buf, MSG_DONTWAIT), 4);
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
  sockaddr_in name{};
  socklen_t len = sizeof name;
  ASSERT_EQ(api.getpeername(fd, sa(name), &len), 0);
  EXPECT_EQ(ntohs(name.sin_port), 5000);
  const Bytes msg = bytes_of("x");
  EXPECT_EQ(api.send(fd, msg.data(), 1, 0), 1);
}

TEST_F(SocketFixture, BlockingRecvIsWokenByTheLoop) {
  const int fd = bound_socket(7);
  loop.start();
  ssize_t got = 0;
  char buf[32];
  std::thread reader([&] { got = api.recvfrom(fd, buf, sizeof buf, 0, nullptr, nullptr); });
  inject_udp(1, 7, bytes_of("wake up"));
  loop.wake();
  reader.join();
  loop.stop();
  EXPECT_EQ(got, 7);
  EXPECT_EQ(std::string(buf, 7), "wake up");
}

// Who drives the loop's rounds (EventLoop): a thread waiting for its socket, the loop's own thread
// when nobody has waited for a while, and the thread a round gave work to.
class DrivingFixture : public SocketFixture {
 protected:
  uint64_t counter(std::string_view label) {
    std::lock_guard lock(loop.mutex());
    for (const auto& [name, value] : loop.report().values)
      if (name == label) return value;
    ADD_FAILURE() << "no counter " << label;
    return 0;
  }
  uint64_t loop_rounds() { return counter("rounds on the loop's thread"); }
  uint64_t app_rounds() { return counter("rounds on application threads"); }
  // Waits (at most 5 s) for `done`, looking every millisecond.
  template <class Done>
  bool eventually(Done done) {
    for (int i = 0; i < 5000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  int timed_socket(uint16_t port) {
    const int fd = bound_socket(port);
    timeval tv{10, 0};  // a thread nobody drives for fails with EAGAIN instead of hanging
    EXPECT_EQ(api.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    return fd;
  }
  // A thread blocked in recv() (on a socket with a 10 s timeout, so it cannot hang the test).
  struct BlockedReader {
    int fd = -1;
    char buf[16] = {};
    ssize_t got = 0;
    std::thread thread;
    ~BlockedReader() {
      if (thread.joinable()) thread.join();
    }
  };
  // Starts the loop with `r` blocked in recv() on a new socket on `port`; returns once `r` has
  // run a round of its own (it drives).
  void start_with_reader(uint16_t port, BlockedReader& r) {
    r.fd = timed_socket(port);
    loop.start();
    r.thread = std::thread([this, &r] { r.got = api.recv(r.fd, r.buf, sizeof r.buf, 0); });
    ASSERT_TRUE(eventually([&] { return app_rounds() >= 1; }));
  }
  ~DrivingFixture() override { loop.stop(); }
};

TEST_F(DrivingFixture, AWaitingThreadReadsItsOwnDatagram) {
  loop.set_standby(std::chrono::hours(1));
  BlockedReader r;
  ASSERT_NO_FATAL_FAILURE(start_with_reader(7, r));
  const uint64_t before = loop_rounds();
  inject_udp(1, 7, bytes_of("mine"));
  loop.wake();
  r.thread.join();
  ASSERT_EQ(r.got, 4);
  EXPECT_EQ(std::string(r.buf, 4), "mine");
  // The reader took the datagram in, in rounds of its own: the loop's thread stood by.
  EXPECT_EQ(loop_rounds(), before);
  EXPECT_GE(app_rounds(), 2u);
}

TEST_F(DrivingFixture, TheLoopsThreadTakesOverWhenNobodyWaits) {
  loop.set_standby(std::chrono::milliseconds(1));
  BlockedReader r;
  ASSERT_NO_FATAL_FAILURE(start_with_reader(7, r));
  inject_udp(1, 7, bytes_of("one"));
  loop.wake();
  r.thread.join();
  ASSERT_EQ(r.got, 3);
  // Nobody waits now: the datagram must still be taken in, by the loop's thread.
  const uint64_t before = loop_rounds();
  inject_udp(1, 7, bytes_of("two"));
  loop.wake();
  ASSERT_TRUE(eventually([&] { return api.recv(r.fd, r.buf, sizeof r.buf, MSG_DONTWAIT) == 3; }));
  EXPECT_EQ(std::string(r.buf, 3), "two");
  EXPECT_GT(loop_rounds(), before);
}

TEST_F(DrivingFixture, RoundsGoOnWhenTheDriversWaitEnds) {
  loop.set_standby(std::chrono::hours(1));  // no application thread is waiting long
  const int a = timed_socket(7), b = timed_socket(8);
  loop.start();
  char buf_a[16], buf_b[16];
  ssize_t got_a = 0, got_b = 0;
  std::thread reader_b([&] { got_b = api.recv(b, buf_b, sizeof buf_b, 0); });
  ASSERT_TRUE(eventually([&] { return app_rounds() >= 1; }));  // b drives
  std::thread reader_a([&] { got_a = api.recv(a, buf_a, sizeof buf_a, 0); });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(loop.mutex());
    return loop.followers() == 1;
  }));  // a follows
  inject_udp(1, 8, bytes_of("for b"));
  loop.wake();
  reader_b.join();
  ASSERT_EQ(got_b, 5);
  // b's wait is over, and nobody woke a (its socket was not ready): the rounds must go on all
  // the same — the loop's thread stands in after kHandover while a thread follows, however long
  // its standby — or a's datagram is never read.
  inject_udp(1, 7, bytes_of("for a"));
  loop.wake();
  reader_a.join();
  ASSERT_EQ(got_a, 5);
  EXPECT_EQ(std::string(buf_a, 5), "for a");
}

TEST_F(DrivingFixture, AFollowerSleepsThroughRoundsForOthersAndTheThreadWithWorkDrives) {
  // a drives first, waiting for a datagram that does not come; b follows, reading five
  // datagrams one after another. The first wakes b, and a, whose socket is still not ready,
  // follows from then on: b drives its own rounds, and nobody is woken for the other four.
  loop.set_standby(std::chrono::hours(1));
  BlockedReader idle;
  ASSERT_NO_FATAL_FAILURE(start_with_reader(7, idle));
  const int b = timed_socket(8);
  std::atomic<int> got{0};
  std::thread reader_b([&] {
    char buf[16];
    for (int i = 0; i < 5; ++i)
      if (api.recv(b, buf, sizeof buf, 0) == 4) ++got;
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(loop.mutex());
    return loop.followers() == 1;
  }));  // b follows
  const uint64_t woken_before = counter("followers woken");
  for (int i = 0; i < 5; ++i) {
    inject_udp(1, 8, bytes_of("to b"));
    loop.wake();
    ASSERT_TRUE(eventually([&] { return got.load() == i + 1; }));
  }
  reader_b.join();
  // One; two if b, descheduled between two reads, left the rounds to the loop's thread for a
  // moment (kHandover) and so was woken by it once more. Not one a datagram.
  EXPECT_LE(counter("followers woken") - woken_before, 2u);
  // b is gone; a still waits, and its datagram is still read.
  inject_udp(1, 7, bytes_of("idle"));
  loop.wake();
  idle.thread.join();
  EXPECT_EQ(idle.got, 4);
}

TEST_F(DrivingFixture, StopEndsADriversWait) {
  const int fd = bound_socket(7);
  loop.start();
  ssize_t got = 0;
  int err = 0;
  std::thread reader([&] {
    char buf[4];
    got = api.recv(fd, buf, sizeof buf, 0);
    err = errno;
  });
  ASSERT_TRUE(eventually([&] { return app_rounds() >= 1; }));
  loop.stop();
  reader.join();
  EXPECT_EQ(got, -1);
  EXPECT_EQ(err, EBADF);
}

TEST_F(SocketFixture, ReceiveTimeoutGivesEagain) {
  const int fd = bound_socket(7);
  timeval tv{0, 20'000};
  ASSERT_EQ(api.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  char buf[4];
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
}

TEST_F(SocketFixture, CloseWakesABlockedReceiverWithEbadf) {
  const int fd = bound_socket(7);
  loop.start();
  ssize_t got = 0;
  int err = 0;
  std::atomic<bool> entered{false};
  std::thread reader([&] {
    char buf[4];
    entered = true;
    got = api.recv(fd, buf, sizeof buf, 0);
    err = errno;
  });
  while (!entered)
    std::this_thread::yield();
  api.close_all();
  reader.join();
  loop.stop();
  EXPECT_EQ(got, -1);
  EXPECT_EQ(err, EBADF);
}

TEST_F(SocketFixture, ShutdownReadMakesRecvReturnZero) {
  const int fd = bound_socket(7);
  ASSERT_EQ(api.shutdown(fd, SHUT_RD), 0);
  char buf[4];
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, 0), 0);
  ASSERT_EQ(api.shutdown(fd, SHUT_WR), 0);
  auto to = sin(kPeer, 9);
  EXPECT_EQ(api.sendto(fd, buf, 1, 0, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EPIPE);
  EXPECT_EQ(api.shutdown(fd, 7), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST_F(SocketFixture, SocketOptionErrors) {
  const int fd = bound_socket(7);
  int v = 1;
  EXPECT_EQ(api.setsockopt(fd, IPPROTO_IP, 1, &v, sizeof v), -1);
  EXPECT_EQ(errno, ENOPROTOOPT);
  EXPECT_EQ(api.setsockopt(fd, SOL_SOCKET, SO_BROADCAST + 1000, &v, sizeof v), -1);
  EXPECT_EQ(errno, ENOPROTOOPT);
  socklen_t len = sizeof v;
  ASSERT_EQ(api.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
  EXPECT_EQ(v, SOCK_DGRAM);
  ASSERT_EQ(api.getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len), 0);
  EXPECT_EQ(v, 0);
}

TEST_F(SocketFixture, EchoRoundTripThroughTheStack) {
  // What tundra-echo does, single-threaded: receive, send back, and the reply is on the link.
  const int fd = bound_socket(7);
  inject_udp(41000, 7, bytes_of("echo me"));
  round();
  char buf[32];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  const ssize_t n = api.recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, sa(from), &len);
  ASSERT_EQ(n, 7);
  ASSERT_EQ(api.sendto(fd, buf, size_t(n), 0, sa(from), len), 7);
  round();
  auto out = link.take_sent();
  ASSERT_EQ(out.size(), 1u);
  auto u = wire::udp::Repr::parse(std::span(out[0]).subspan(20), kUs, kPeer);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->src_port, 7);
  EXPECT_EQ(u->dst_port, 41000);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out[0].data()) + 28, 7), "echo me");
}

}  // namespace
}  // namespace tundra::test
