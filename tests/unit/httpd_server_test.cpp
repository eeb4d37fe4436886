// tundra-httpd's server on two tundra stacks joined by an in-memory link (simulated clock): a
// client on one stack's facade, the server on the other's. Files arrive byte-exact, pipelined
// requests are answered in order, a malformed request is answered and the connection closed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "apps/httpd/server.hpp"
#include "netif/memory_link.hpp"
#include "stack/loop/event_loop.hpp"
#include "stack/socket/socket_api.hpp"
#include "stack/stack.hpp"

namespace tundra::httpd {
namespace {

namespace fs = std::filesystem;

StackConfig stack_config(uint8_t last) {
  StackConfig c;
  c.ipv4.address = wire::ipv4::Cidr{wire::ipv4::Address(10, 0, 0, last), 24};
  c.seed = last;
  return c;
}

class HttpdServer : public ::testing::Test {
 protected:
  HttpdServer()
      : links(netif::MemoryLink::make_pair()),
        client_stack(*links.first, stack_config(1)),
        server_stack(*links.second, stack_config(2)),
        client_loop(clock, client_stack),
        server_loop(clock, server_stack),
        client(client_loop),
        server_api(server_loop) {
    char tmpl[] = "/tmp/httpd-server-XXXXXX";
    root = mkdtemp(tmpl);
    big.resize(300 * 1000);
    for (size_t i = 0; i < big.size(); ++i)
      big[i] = static_cast<char>('a' + (i * 7) % 26);
    std::ofstream(root + "/big.txt", std::ios::binary) << big;
    std::ofstream(root + "/a.txt", std::ios::binary) << "A\n";
    ServerConfig cfg;
    cfg.root = fs::canonical(root).string();
    cfg.port = 8080;
    server = std::make_unique<Server>(server_api, cfg);
  }
  ~HttpdServer() override {
    server.reset();
    fs::remove_all(root);
  }

  // One round of everything: the server, both stacks, a millisecond of simulated time.
  void round() {
    server->run_once(0);
    client_loop.run_once(Duration(0));
    server_loop.run_once(Duration(0));
    clock.advance(std::chrono::milliseconds(1));
  }

  int connect_client() {
    const int fd = client.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(8080);
    to.sin_addr.s_addr = htonl(0x0a000002);
    client.connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    for (int i = 0; i < 1000; ++i) {
      pollfd p{fd, POLLOUT, 0};
      if (client.poll(&p, 1, 0) == 1) return fd;
      round();
    }
    ADD_FAILURE() << "no connection";
    return fd;
  }

  // Sends `request`, then reads until what arrived ends with `until` (empty: until the server
  // closes).
  std::string exchange(int fd, std::string_view request, std::string_view until = {}) {
    EXPECT_EQ(client.send(fd, request.data(), request.size(), 0),
              static_cast<ssize_t>(request.size()));
    std::string got;
    char buf[65536];
    for (int i = 0; i < 20000; ++i) {
      if (!until.empty() && got.size() >= until.size() &&
          got.compare(got.size() - until.size(), until.size(), until) == 0)
        break;
      round();
      const ssize_t n = client.recv(fd, buf, sizeof buf, 0);
      if (n == 0) break;
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

  static std::string body_of(const std::string& response) {
    const size_t end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }

  SimClock clock;
  std::pair<std::unique_ptr<netif::MemoryLink>, std::unique_ptr<netif::MemoryLink>> links;
  Stack client_stack, server_stack;
  EventLoop client_loop, server_loop;
  sock::SocketApi client, server_api;
  std::string root, big;
  std::unique_ptr<Server> server;
};

TEST_F(HttpdServer, StreamsAFileByteExact) {
  const int fd = connect_client();
  const std::string r =
      exchange(fd, "GET /big.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(r.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_NE(r.find("Content-Length: 300000\r\n"), std::string::npos);
  EXPECT_EQ(body_of(r), big);  // and the server closed after it (exchange saw EOF)
  const auto c = server->counters();
  EXPECT_EQ(c.values[3], (std::pair<std::string, uint64_t>{"requests", 1}));
}

TEST_F(HttpdServer, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  const int fd = connect_client();
  const std::string r = exchange(fd,
                                 "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                 {});
  const size_t first = r.find("HTTP/1.1 200"), second = r.find("HTTP/1.1 404"),
               third = r.find("HTTP/1.1 200", first + 1),
               fourth = r.find("HTTP/1.1 200", third + 1);
  ASSERT_NE(fourth, std::string::npos) << r;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(r.substr(r.size() - 2), "A\n");
}

TEST_F(HttpdServer, MalformedRequestGets400ThenClose) {
  const int fd = connect_client();
  const std::string r = exchange(fd, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(r.substr(0, 26), "HTTP/1.1 400 Bad Request\r\n");
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpdServer, KeepAliveConnectionStaysOpenAndIsReused) {
  const int fd = connect_client();
  for (int i = 0; i < 3; ++i) {
    const std::string r = exchange(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\nA\n");
    ASSERT_EQ(r.substr(0, 15), "HTTP/1.1 200 OK") << i;
    EXPECT_EQ(server->connections(), 1u);
  }
  // Idle in keep-alive: no parser, no buffers; the fixed part is small (goal: well under 4 KiB).
  EXPECT_EQ(server->buffered_bytes(), 0u);
  EXPECT_LT(sizeof(Connection), 512u);
}

}  // namespace
}  // namespace tundra::httpd
