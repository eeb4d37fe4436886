// The facade's stream sockets against a peer played by the test (segments injected on a
// CaptureLink): non-blocking connect and poll, SO_ERROR after a refusal, and the errno of every
// call made in the wrong state, as the kernel gives them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <cstring>
#include <string>

#include "stack/loop/event_loop.hpp"
#include "stack/socket/socket_api.hpp"
#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

using wire::tcp::Flag;
using wire::tcp::Flags;

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);

class StreamFixture : public ::testing::Test {
 protected:
  StreamFixture() : stack(link, config()), loop(clock, stack), api(loop) {}
  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.seed = 5;
    c.tcp.timestamps = false;
    return c;
  }
  void round() { loop.run_once(Duration(0)); }
  // A non-blocking socket connecting to kPeer:`port`; its SYN in *syn.
  int connecting(uint16_t port, wire::tcp::Repr* syn) {
    const int fd = api.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto to = sin(kPeer, port);
    EXPECT_EQ(api.connect(fd, sa(to), sizeof to), -1);
    EXPECT_EQ(errno, EINPROGRESS);
    auto segs = sent();
    EXPECT_EQ(segs.size(), 1u);
    if (!segs.empty()) *syn = segs[0];
    return fd;
  }
  // The segments tundra sent since the last call.
  std::vector<wire::tcp::Repr> sent() {
    std::vector<wire::tcp::Repr> out;
    for (auto& d : link.take_sent()) {
      auto r = wire::tcp::Repr::parse(std::span(d).subspan(20), kUs, kPeer);
      if (r) out.push_back(*r);
    }
    return out;
  }
  void inject(wire::tcp::Repr r, const Bytes& payload = {}) {
    r.payload_len = payload.size();
    Bytes seg(r.header_len());
    seg.insert(seg.end(), payload.begin(), payload.end());
    r.emit(seg, kPeer, kUs);
    link.inject(ip_datagram(ip_header(kPeer, kUs, ipv4::Protocol::Tcp), seg));
  }
  wire::tcp::Repr reply_to(const wire::tcp::Repr& syn, Flags f) {
    wire::tcp::Repr r{};
    r.src_port = syn.dst_port;
    r.dst_port = syn.src_port;
    r.seq = 7000;
    r.ack = syn.seq + 1;
    r.flags = f;
    r.window = 65535;
    r.options.mss = 1460;
    return r;
  }

  SimClock clock;
  CaptureLink link;
  Stack stack;
  EventLoop loop;
  sock::SocketApi api;
};

TEST_F(StreamFixture, NonBlockingConnectThenPollThenEstablished) {
  const int fd = api.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  auto to = sin(kPeer, 80);
  ASSERT_EQ(api.connect(fd, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  EXPECT_EQ(api.connect(fd, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EALREADY);
  auto syn = sent();
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_TRUE(syn[0].flags.syn());
  pollfd p{fd, POLLOUT, 0};
  EXPECT_EQ(api.poll(&p, 1, 0), 0);  // not yet
  inject(reply_to(syn[0], Flags(Flag::Syn) | Flags(Flag::Ack)));
  round();
  EXPECT_EQ(api.poll(&p, 1, 0), 1);
  EXPECT_TRUE(p.revents & POLLOUT);
  int err = -1;
  socklen_t len = sizeof err;
  ASSERT_EQ(api.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, 0);
  sockaddr_in peer{};
  len = sizeof peer;
  ASSERT_EQ(api.getpeername(fd, sa(peer), &len), 0);
  EXPECT_EQ(ntohs(peer.sin_port), 80);
  EXPECT_EQ(api.connect(fd, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EISCONN);
  const Bytes msg = bytes_of("GET /");
  EXPECT_EQ(api.send(fd, msg.data(), msg.size(), 0), 5);
  round();
  auto data = sent();
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.back().payload_len, 5u);
}

// A link that sends a round's datagrams at its end (TunLink with a TxThread) still sends at
// once what the calls that send at once emit: the SYN of connect(), the first data of a send()
// with nothing in flight, the FIN of close(). No round runs between the call and the check.
TEST_F(StreamFixture, CallsThatSendAtOnceReachALinkThatHoldsUntilPoll) {
  link.hold_until_poll = true;
  const int fd = api.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  auto to = sin(kPeer, 80);
  ASSERT_EQ(api.connect(fd, sa(to), sizeof to), -1);
  auto syn = sent();
  ASSERT_EQ(syn.size(), 1u) << "the SYN waited for a round";
  inject(reply_to(syn[0], Flags(Flag::Syn) | Flags(Flag::Ack)));
  round();
  sent();  // the handshake's ACK
  const Bytes msg = bytes_of("GET /");
  EXPECT_EQ(api.send(fd, msg.data(), msg.size(), 0), 5);
  auto data = sent();
  ASSERT_EQ(data.size(), 1u) << "the request waited for a round";
  EXPECT_EQ(data[0].payload_len, 5u);
  EXPECT_EQ(api.close(fd), 0);
  auto fin = sent();
  ASSERT_EQ(fin.size(), 1u) << "the FIN waited for a round";
  EXPECT_TRUE(fin[0].flags.fin());
}

// shutdown(SHUT_WR) sends its FIN at once too, with the response still in flight: a server that
// answers and shuts down must have its FIN reach the client with the response, or a client that
// closes once it has read the response closes first and holds the TIME-WAIT (a kernel client
// doing that ran out of ports at 330 connections a second).
TEST_F(StreamFixture, ShutdownSendsTheFinAtOnceBehindDataInFlight) {
  link.hold_until_poll = true;
  wire::tcp::Repr syn{};
  const int fd = connecting(80, &syn);
  inject(reply_to(syn, Flags(Flag::Syn) | Flags(Flag::Ack)));
  round();
  sent();
  const Bytes msg = bytes_of("HTTP/1.1 200 OK");
  EXPECT_EQ(api.send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(api.shutdown(fd, SHUT_WR), 0);
  auto fin = sent();
  ASSERT_EQ(fin.size(), 1u) << "the FIN waited for a round";
  EXPECT_TRUE(fin[0].flags.fin());
  EXPECT_EQ(fin[0].payload_len, 0u);
  EXPECT_EQ(fin[0].seq, syn.seq + 1 + msg.size());
}

// MSG_TRUNC on a stream, as Linux's tcp(7): the bytes are consumed, counted, and not copied.
TEST_F(StreamFixture, RecvWithMsgTruncDropsTheBytesAndCountsThem) {
  wire::tcp::Repr syn{};
  const int fd = connecting(80, &syn);
  inject(reply_to(syn, Flags(Flag::Syn) | Flags(Flag::Ack)));
  round();
  auto data = reply_to(syn, Flags(Flag::Ack) | Flags(Flag::Psh));
  data.seq = 7001;
  inject(data, bytes_of("0123456789"));
  round();
  char buf[16];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(api.recv(fd, buf, 4, MSG_TRUNC), 4);
  EXPECT_EQ(std::string(buf, 4), "xxxx") << "copied anyway";
  EXPECT_EQ(api.recv(fd, buf, 2, MSG_PEEK | MSG_TRUNC), 2) << "with MSG_PEEK, a peek";
  EXPECT_EQ(std::string(buf, 2), "45");
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, 0), 6);
  EXPECT_EQ(std::string(buf, 6), "456789");
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, MSG_TRUNC), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(StreamFixture, RefusedConnectShowsInSoError) {
  wire::tcp::Repr syn{};
  const int fd = connecting(81, &syn);
  inject(reply_to(syn, Flags(Flag::Rst) | Flags(Flag::Ack)));
  round();
  pollfd p{fd, POLLOUT, 0};
  EXPECT_EQ(api.poll(&p, 1, 0), 1);
  EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));
  int err = 0;
  socklen_t len = sizeof err;
  ASSERT_EQ(api.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ECONNREFUSED);
}

TEST_F(StreamFixture, CallsInTheWrongStateGiveTheKernelsErrno) {
  const int fd = api.socket(AF_INET, SOCK_STREAM, 0);
  char buf[4];
  EXPECT_EQ(api.recv(fd, buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, ENOTCONN);
  EXPECT_EQ(api.send(fd, buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, EPIPE);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_EQ(api.getpeername(fd, sa(a), &len), -1);
  EXPECT_EQ(errno, ENOTCONN);
  EXPECT_EQ(api.shutdown(fd, SHUT_WR), -1);
  EXPECT_EQ(errno, ENOTCONN);
  EXPECT_EQ(api.accept(fd, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  const int u = api.socket(AF_INET, SOCK_DGRAM, 0);
  EXPECT_EQ(api.listen(u, 5), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(api.listen(99, 5), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(StreamFixture, BindConflictsAndListenerAccept) {
  const int a = api.socket(AF_INET, SOCK_STREAM, 0);
  const int b = api.socket(AF_INET, SOCK_STREAM, 0);
  auto addr = sin(ipv4::Address{}, 8080);
  ASSERT_EQ(api.bind(a, sa(addr), sizeof addr), 0);
  EXPECT_EQ(api.bind(b, sa(addr), sizeof addr), -1);
  EXPECT_EQ(errno, EADDRINUSE);
  ASSERT_EQ(api.listen(a, 4), 0);
  ASSERT_EQ(api.fcntl(a, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(api.accept(a, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);
  // A handshake from the peer: SYN, our SYN-ACK, the ACK; then accept() has it.
  wire::tcp::Repr syn{};
  syn.src_port = 40000;
  syn.dst_port = 8080;
  syn.seq = 100;
  syn.flags = Flags(Flag::Syn);
  syn.window = 65535;
  inject(syn);
  round();
  auto sa_ = sent();
  ASSERT_EQ(sa_.size(), 1u);
  wire::tcp::Repr ack{};
  ack.src_port = 40000;
  ack.dst_port = 8080;
  ack.seq = 101;
  ack.ack = sa_[0].seq + 1;
  ack.flags = Flags(Flag::Ack);
  ack.window = 65535;
  inject(ack);
  round();
  pollfd p{a, POLLIN, 0};
  EXPECT_EQ(api.poll(&p, 1, 0), 1);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  const int c = api.accept(a, sa(from), &len);
  ASSERT_GE(c, 0);
  EXPECT_EQ(ntohs(from.sin_port), 40000);
  int one = 1;
  ASSERT_EQ(api.setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
  int v = 0;
  len = sizeof v;
  ASSERT_EQ(api.getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(api.close(c), 0);
  EXPECT_EQ(api.close(c), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace tundra::test
