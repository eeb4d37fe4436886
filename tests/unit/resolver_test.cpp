// The resolver's driver (apps/common/resolver.hpp) end to end: two stacks on a ThreadLink, each
// with its event loop thread and socket facade; a fake DNS server thread on one facade answers
// from what each test tells it, and resolve() runs on the test's thread against the other.
#include "apps/common/resolver.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "stack/dns/message.hpp"
#include "support/packets.hpp"
#include "support/thread_link.hpp"

namespace tundra::test {
namespace {

using app::ResolveError;
using app::ResolveSource;

const ipv4::Address kClient(10, 0, 0, 2), kServer(10, 0, 0, 1);
constexpr uint16_t kDnsPort = 53, kOtherPort = 5353;

// A datagram the fake server sends back, from port 53 or, to play a spoofer, from another port.
struct Reply {
  Bytes data;
  bool from_other_port = false;
};
using Handler = std::function<std::vector<Reply>(const dns::Message& query, int nth)>;

dns::Record a_record(std::string name, ipv4::Address a, uint32_t ttl = 300) {
  dns::Record r;
  r.name = std::move(name);
  r.ttl = ttl;
  r.a = a;
  return r;
}

dns::Record cname_record(std::string name, std::string target, uint32_t ttl = 300) {
  dns::Record r;
  r.name = std::move(name);
  r.type = dns::type::kCname;
  r.ttl = ttl;
  r.cname = std::move(target);
  return r;
}

// The response a recursive server would give to `q`.
Bytes respond(const dns::Message& q, std::vector<dns::Record> answers, uint8_t rcode = 0,
              bool tc = false) {
  dns::Message r = q;
  r.header.qr = true;
  r.header.ra = true;
  r.header.rcode = rcode;
  r.header.tc = tc;
  r.answers = std::move(answers);
  return r.emit();
}

class ResolverFixture : public ::testing::Test {
 protected:
  ResolverFixture()
      : links(ThreadLink::make_pair()),
        client_stack(*links.first, config(kClient, 1)),
        server_stack(*links.second, config(kServer, 2)),
        client_loop(clock, client_stack),
        server_loop(clock, server_stack),
        client(client_loop),
        server(server_loop) {
    client_loop.start();
    server_loop.start();
    options.nameserver = kServer;
    options.hosts_path = missing_path();
    options.resolv_conf_path = missing_path();
    // Long enough that a loaded machine never turns an answer into a retry; the tests of
    // retries and timeouts set their own.
    options.timeout = std::chrono::seconds(2);
    options.attempts = 3;
  }

  ~ResolverFixture() override {
    server.close_all();  // wakes the server thread's recvfrom with EBADF
    if (server_thread.joinable()) server_thread.join();
    client.close_all();
    client_loop.stop();
    server_loop.stop();
    for (const auto& path : temp_files)
      std::remove(path.c_str());
  }

  static StackConfig config(ipv4::Address a, uint64_t seed) {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{a, 24};
    c.seed = seed;
    return c;
  }

  static std::string missing_path() { return ::testing::TempDir() + "tundra-no-such-file"; }

  std::string temp_file(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string path = ::testing::TempDir() + "tundra-resolver-" + info->name() + "-" +
                       std::to_string(temp_files.size());
    std::ofstream(path) << text;
    temp_files.push_back(path);
    return path;
  }

  // Starts the fake DNS server: each query it receives on port 53 goes to `handler`.
  void serve(Handler handler) {
    const int fd = server.socket(AF_INET, SOCK_DGRAM, 0);
    const int other = server.socket(AF_INET, SOCK_DGRAM, 0);
    auto a = sin(ipv4::Address{}, kDnsPort), b = sin(ipv4::Address{}, kOtherPort);
    ASSERT_EQ(server.bind(fd, sa(a), sizeof a), 0);
    ASSERT_EQ(server.bind(other, sa(b), sizeof b), 0);
    server_thread = std::thread([this, fd, other, handler = std::move(handler)] {
      std::vector<std::byte> buf(2048);
      for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = server.recvfrom(fd, buf.data(), buf.size(), 0, sa(from), &len);
        if (n < 0) return;  // closed: the test is over
        auto q = dns::Message::parse(std::span(buf.data(), size_t(n)));
        if (!q) continue;
        int nth;
        {
          std::lock_guard lock(mutex);
          seen.push_back(Seen{q->header.id, ntohs(from.sin_port), ntohl(from.sin_addr.s_addr),
                              q->questions.empty() ? "" : q->questions[0].name});
          nth = int(seen.size());
        }
        for (const Reply& r : handler(*q, nth))
          server.sendto(r.from_other_port ? other : fd, r.data.data(), r.data.size(), 0, sa(from),
                        len);
      }
    });
  }

  // Answers every query for `name` with `answers` and anything else with NXDOMAIN.
  void serve_table(std::string name, std::vector<dns::Record> answers) {
    serve([name, answers](const dns::Message& q, int) {
      if (q.questions.size() == 1 && q.questions[0].name == name)
        return std::vector<Reply>{{respond(q, answers)}};
      return std::vector<Reply>{{respond(q, {}, dns::rcode::kNxDomain)}};
    });
  }

  struct Seen {
    uint16_t id, port;
    uint32_t address;
    std::string name;
  };
  std::vector<Seen> queries() {
    std::lock_guard lock(mutex);
    return seen;
  }

  // Every path through resolve() closes its socket: the lowest descriptor is free again.
  void expect_socket_closed() {
    const int fd = client.socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_EQ(fd, 3);
    client.close(fd);
  }

  Result<app::Resolution, app::ResolveFailure> resolve(std::string_view host) {
    auto r = app::resolve(client, host, options);
    expect_socket_closed();
    return r;
  }

  SteadyClock clock;
  std::pair<std::unique_ptr<ThreadLink>, std::unique_ptr<ThreadLink>> links;
  Stack client_stack, server_stack;
  EventLoop client_loop, server_loop;
  sock::SocketApi client, server;
  app::ResolverOptions options;
  std::thread server_thread;
  std::mutex mutex;
  std::vector<Seen> seen;
  std::vector<std::string> temp_files;
};

TEST_F(ResolverFixture, AnswerWithARecords) {
  serve_table("www.example.com", {a_record("www.example.com", ipv4::Address(192, 0, 2, 10), 300),
                                  a_record("www.example.com", ipv4::Address(192, 0, 2, 11), 100)});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = resolve("WWW.Example.com");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->name, "www.example.com");
  EXPECT_EQ(r->canonical, "www.example.com");
  EXPECT_TRUE(r->cnames.empty());
  EXPECT_EQ(r->addresses, (std::vector<ipv4::Address>{ipv4::Address(192, 0, 2, 10),
                                                      ipv4::Address(192, 0, 2, 11)}));
  EXPECT_EQ(r->source, ResolveSource::kDns);
  EXPECT_EQ(r->server, kServer);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->ttl, 100u);
  EXPECT_GT(r->elapsed.count(), 0);
  EXPECT_LE(r->elapsed, took);
  const auto q = queries();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].id, r->query_id);
  EXPECT_EQ(q[0].port, r->local_port);
  EXPECT_GE(r->local_port, 1024);
  EXPECT_EQ(q[0].address, kClient.value());
  EXPECT_EQ(q[0].name, "www.example.com");
}

TEST_F(ResolverFixture, CnameChainOfTwoHops) {
  serve_table("www.example.com", {cname_record("www.example.com", "web.example.net", 600),
                                  cname_record("web.example.net", "edge.cdn.example", 60),
                                  a_record("edge.cdn.example", ipv4::Address(198, 51, 100, 1))});
  auto r = resolve("www.example.com");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->cnames, (std::vector<std::string>{"web.example.net", "edge.cdn.example"}));
  EXPECT_EQ(r->canonical, "edge.cdn.example");
  EXPECT_EQ(r->addresses, std::vector<ipv4::Address>{ipv4::Address(198, 51, 100, 1)});
  EXPECT_EQ(r->ttl, 60u);
}

TEST_F(ResolverFixture, NxdomainIsNotFound) {
  serve_table("www.example.com", {});
  auto r = resolve("nope.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kNotFound);
  EXPECT_NE(r.error().detail.find("NXDOMAIN"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("10.0.0.1:53"), std::string::npos) << r.error().detail;
  EXPECT_EQ(queries().size(), 1u);
}

TEST_F(ResolverFixture, ServfailIsServerFailure) {
  serve([](const dns::Message& q, int) {
    return std::vector<Reply>{{respond(q, {}, dns::rcode::kServFail)}};
  });
  auto r = resolve("www.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kServerFailure);
  EXPECT_NE(r.error().detail.find("SERVFAIL"), std::string::npos);
  EXPECT_EQ(queries().size(), 1u);  // an answer, even a bad one, is not retried
}

TEST_F(ResolverFixture, RetryAfterAnIgnoredQuery) {
  serve([](const dns::Message& q, int nth) {
    if (nth == 1) return std::vector<Reply>{};
    return std::vector<Reply>{
        {respond(q, {a_record("www.example.com", ipv4::Address(1, 2, 3, 4))})}};
  });
  options.timeout = std::chrono::milliseconds(300);
  auto r = resolve("www.example.com");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->attempts, 2);
  EXPECT_GE(r->elapsed, std::chrono::milliseconds(300));
  const auto q = queries();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(r->query_id, q[1].id);
  EXPECT_EQ(q[0].port, q[1].port);  // one socket for every attempt
}

TEST_F(ResolverFixture, TimeoutAfterEveryAttempt) {
  serve([](const dns::Message&, int) { return std::vector<Reply>{}; });
  options.timeout = std::chrono::milliseconds(50);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = resolve("www.example.com");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kTimeout);
  EXPECT_NE(r.error().detail.find("3 attempts of 50 ms"), std::string::npos) << r.error().detail;
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(queries().size(), 3u);
}

TEST_F(ResolverFixture, SpoofedRepliesAreIgnored) {
  // A wrong ID, then the right ID from the wrong port, then a different question, then the answer.
  serve([](const dns::Message& q, int) {
    dns::Message wrong_id = q;
    wrong_id.header.id ^= 0x8000;
    dns::Message wrong_name = q;
    wrong_name.questions[0].name = "evil.example";
    const auto evil = ipv4::Address(6, 6, 6, 6);
    return std::vector<Reply>{
        {respond(wrong_id, {a_record("www.example.com", evil)})},
        {respond(q, {a_record("www.example.com", evil)}), true},
        {respond(wrong_name, {a_record("evil.example", evil)})},
        {respond(q, {a_record("www.example.com", ipv4::Address(1, 2, 3, 4))})},
    };
  });
  auto r = resolve("www.example.com");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->addresses, std::vector<ipv4::Address>{ipv4::Address(1, 2, 3, 4)});
  EXPECT_EQ(r->attempts, 1);
}

TEST_F(ResolverFixture, MalformedResponseWithOurIdIsAServerFailure) {
  serve([](const dns::Message& q, int) {
    Bytes junk = respond(q, {});
    junk[7] = std::byte{5};        // five answers that are not there
    Bytes noise = {std::byte{0}};  // too short to carry any ID
    return std::vector<Reply>{{noise}, {junk}};
  });
  auto r = resolve("www.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kServerFailure);
  EXPECT_NE(r.error().detail.find("malformed"), std::string::npos) << r.error().detail;
}

TEST_F(ResolverFixture, TruncatedWithAnAddressIsUsed) {
  serve([](const dns::Message& q, int) {
    return std::vector<Reply>{
        {respond(q, {a_record("big.example", ipv4::Address(10, 9, 8, 7))}, 0, true)}};
  });
  auto r = resolve("big.example");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->addresses, std::vector<ipv4::Address>{ipv4::Address(10, 9, 8, 7)});
}

TEST_F(ResolverFixture, TruncatedWithoutAnAddressFails) {
  serve([](const dns::Message& q, int) { return std::vector<Reply>{{respond(q, {}, 0, true)}}; });
  auto r = resolve("big.example");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kTruncated);
}

TEST_F(ResolverFixture, CnameLoopFails) {
  serve_table("a.example",
              {cname_record("a.example", "b.example"), cname_record("b.example", "a.example")});
  auto r = resolve("a.example");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kCnameLoop);
}

TEST_F(ResolverFixture, OverrideBeatsHostsBeatsDns) {
  serve_table("web.example", {a_record("web.example", ipv4::Address(3, 3, 3, 3))});
  options.hosts_path = temp_file(
      "# test hosts\n"
      "10.1.1.1 web.example www\n"
      "10.1.1.2 WEB.example\n"
      "10.1.1.3 other.example\n");
  options.overrides = {{"Web.Example", ipv4::Address(10, 2, 2, 2)},
                       {"other.example", ipv4::Address(10, 2, 2, 3)},
                       {"web.example", ipv4::Address(10, 2, 2, 4)}};

  auto r = resolve("web.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, ResolveSource::kOverride);
  EXPECT_EQ(r->addresses,
            (std::vector<ipv4::Address>{ipv4::Address(10, 2, 2, 2), ipv4::Address(10, 2, 2, 4)}));

  options.overrides.clear();
  r = resolve("web.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, ResolveSource::kHosts);
  EXPECT_EQ(r->addresses,
            (std::vector<ipv4::Address>{ipv4::Address(10, 1, 1, 1), ipv4::Address(10, 1, 1, 2)}));
  EXPECT_TRUE(queries().empty());

  options.hosts_path = temp_file("10.1.1.3 other.example\n");
  r = resolve("web.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, ResolveSource::kDns);
  EXPECT_EQ(r->addresses, std::vector<ipv4::Address>{ipv4::Address(3, 3, 3, 3)});
}

TEST_F(ResolverFixture, LiteralsAndBadNamesAskNobody) {
  serve_table("x", {});
  auto r = resolve("10.20.30.40");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, ResolveSource::kLiteral);
  EXPECT_EQ(r->addresses, std::vector<ipv4::Address>{ipv4::Address(10, 20, 30, 40)});
  for (std::string bad :
       {std::string(""), std::string("a..b"), std::string(".a"), std::string("bad name"),
        std::string(64, 'x') + ".example", std::string(300, 'a')}) {
    auto f = resolve(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.error().error, ResolveError::kBadName) << bad;
  }
  EXPECT_TRUE(queries().empty());
}

TEST_F(ResolverFixture, NameserverFromResolvConf) {
  serve_table("www.example.com", {a_record("www.example.com", ipv4::Address(1, 1, 1, 1))});
  options.nameserver.reset();
  options.resolv_conf_path = temp_file("nameserver ::1\nnameserver 10.0.0.1\n");
  auto r = resolve("www.example.com");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->server, kServer);

  options.resolv_conf_path = temp_file("search example.com\nnameserver fe80::1\n");
  r = resolve("www.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kNoNameserver);
  EXPECT_NE(r.error().detail.find("nameserver"), std::string::npos);

  options.resolv_conf_path = missing_path();
  r = resolve("www.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kNoNameserver);
  EXPECT_NE(r.error().detail.find("cannot be read"), std::string::npos);
}

TEST_F(ResolverFixture, TheCallersDeadlineEndsTheAttempts) {
  // ResolverOptions::deadline (tundra-fetch's --max-time) cuts a 3 × 2 s wait short.
  serve([](const dns::Message&, int) { return std::vector<Reply>{}; });
  options.timeout = std::chrono::seconds(2);
  options.attempts = 3;
  const auto t0 = std::chrono::steady_clock::now();
  options.deadline = t0 + std::chrono::milliseconds(100);
  auto r = resolve("www.example.com");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kTimeout);
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(queries().size(), 1u);
  EXPECT_NE(r.error().detail.find("after 1 attempt"), std::string::npos) << r.error().detail;
}

TEST_F(ResolverFixture, ResolvConfOptionsReplaceTimeoutAndAttempts) {
  serve([](const dns::Message&, int) { return std::vector<Reply>{}; });
  options.nameserver.reset();
  options.attempts = 3;
  options.resolv_conf_path = temp_file("nameserver 10.0.0.1\noptions timeout:1 attempts:1\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = resolve("www.example.com");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kTimeout);
  EXPECT_NE(r.error().detail.find("1 attempt of 1000 ms"), std::string::npos) << r.error().detail;
  EXPECT_GE(took, std::chrono::seconds(1));
  EXPECT_EQ(queries().size(), 1u);
}

TEST_F(ResolverFixture, UnreachableNameserverIsASocketError) {
  options.nameserver = ipv4::Address(192, 0, 2, 53);  // off-link and no route
  auto r = resolve("www.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResolveError::kSocket);
  EXPECT_EQ(r.error().sys_errno, ENETUNREACH);
}

TEST(ResolverNames, ToString) {
  EXPECT_EQ(app::to_string(ResolveError::kTimeout), "timed out");
  EXPECT_EQ(app::to_string(ResolveError::kNoNameserver), "no nameserver");
  EXPECT_EQ(app::to_string(ResolveSource::kHosts), "hosts");
  EXPECT_EQ(app::to_string(ResolveSource::kDns), "dns");
}

}  // namespace
}  // namespace tundra::test
