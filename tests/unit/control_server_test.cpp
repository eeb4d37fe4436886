// The control server (apps/common/control.hpp) on a socket in a temporary directory, with a real
// stack behind it: two tundra stacks on a ThreadLink, each with its event loop thread, one TCP
// connection between them. Every command in text and JSON; the socket's mode; a stale socket
// replaced, a regular file and a live server refused; and every hostile client answered with an
// error while the server goes on answering good requests.
#include "apps/common/control.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "stack/socket/socket_api.hpp"
#include "support/packets.hpp"
#include "support/thread_link.hpp"

namespace tundra::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const ipv4::Address kClient(10, 0, 0, 1), kServer(10, 0, 0, 2);

StackConfig config(ipv4::Address a, uint64_t seed) {
  StackConfig c;
  c.ipv4.address = ipv4::Cidr{a, 24};
  c.seed = seed;
  return c;
}

// A connected Unix stream socket to `path`, or -1.
int dial(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything `fd` receives until the peer closes, waiting at most `limit` in all.
std::string read_to_eof(int fd, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + limit;
  std::string got;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0))) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<size_t>(n));
  }
  ADD_FAILURE() << "no end of stream within " << limit.count() << " ms; got: " << got;
  return got;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One request, the whole answer. With `half_close`, the end of the stream follows the request.
std::string ask(const std::string& path, std::string_view request, bool half_close = false) {
  const int fd = dial(path);
  if (fd < 0) return "(cannot connect)";
  send_all(fd, request);
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string answer = read_to_eof(fd);
  ::close(fd);
  return answer;
}

// ask(), again while the server refuses for too many clients: it frees the slots of clients that
// left only when it next reads them (at most 200 tries, 10 ms apart).
std::string ask_when_free(const std::string& path, std::string_view request) {
  std::string answer;
  for (int i = 0; i < 200; ++i) {
    answer = ask(path, request);
    if (answer.rfind("error: too many clients", 0) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return answer;
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class ControlServerTest : public ::testing::Test {
 protected:
  ControlServerTest()
      : links(ThreadLink::make_pair()),
        client_stack(*links.first, config(kClient, 1)),
        server_stack(*links.second, config(kServer, 2)),
        client_loop(clock, client_stack),
        server_loop(clock, server_stack),
        client_api(client_loop),
        server_api(server_loop) {
    char tmpl[] = "/tmp/tundra-control-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/ctl.sock";
    client_loop.start();
    server_loop.start();
  }
  ~ControlServerTest() override {
    server.reset();
    client_api.close_all();
    server_api.close_all();
    client_loop.stop();
    server_loop.stop();
    fs::remove_all(dir);
  }

  void start(app::ControlConfig c = {}) {
    c.path = path;
    server = std::make_unique<app::ControlServer>(server_loop, c);
  }

  // A listener on the server stack's port 80 and one established connection to it.
  void connect() {
    listen_fd = server_api.socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any = sin(ipv4::Address(), 80);
    ASSERT_EQ(server_api.bind(listen_fd, sa(any), sizeof any), 0);
    ASSERT_EQ(server_api.listen(listen_fd, 8), 0);
    client_fd = client_api.socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = sin(kServer, 80);
    ASSERT_EQ(client_api.connect(client_fd, sa(to), sizeof to), 0);
    accepted_fd = server_api.accept(listen_fd, nullptr, nullptr);
    ASSERT_GE(accepted_fd, 0);
    const std::string hello = "hello";
    ASSERT_EQ(client_api.send(client_fd, hello.data(), hello.size(), 0), 5);
    // Arrived (one segment), left unread: the table shows it queued to read.
    pollfd p{accepted_fd, POLLIN, 0};
    ASSERT_EQ(server_api.poll(&p, 1, 10000), 1);
  }

  SteadyClock clock;
  std::pair<std::unique_ptr<ThreadLink>, std::unique_ptr<ThreadLink>> links;
  Stack client_stack, server_stack;
  EventLoop client_loop, server_loop;
  sock::SocketApi client_api, server_api;
  std::string dir, path;
  std::unique_ptr<app::ControlServer> server;
  int listen_fd = -1, client_fd = -1, accepted_fd = -1;
};

TEST_F(ControlServerTest, AnswersEveryCommandInTextAndJson) {
  connect();
  start();
  const std::string conns = ask(path, "connections\n");
  ASSERT_EQ(lines(conns), 2u) << conns;  // the header and the one connection
  EXPECT_EQ(conns.rfind("State", 0), 0u) << conns;
  EXPECT_NE(conns.find("ESTABLISHED  10.0.0.2:80"), std::string::npos) << conns;
  EXPECT_NE(conns.find("Una-ISS"), std::string::npos);

  const std::string cj = ask(path, "connections --json\n");
  EXPECT_EQ(cj.rfind("[{\"id\":", 0), 0u) << cj;
  EXPECT_NE(cj.find("\"state\":\"ESTABLISHED\""), std::string::npos) << cj;
  EXPECT_NE(cj.find("\"local_port\":80,"), std::string::npos) << cj;
  EXPECT_NE(cj.find("\"recv_queued\":5,"), std::string::npos) << cj;  // "hello", not yet read
  EXPECT_EQ(cj.substr(cj.size() - 3), "}]\n");

  const std::string ls = ask(path, "listeners\n");
  EXPECT_EQ(ls,
            "Local       Backlog  Half-open  Accept-Q\n"
            "0.0.0.0:80        8          0         0\n");
  EXPECT_EQ(ask(path, "listeners --json\n"),
            "[{\"id\":1,\"local_addr\":\"0.0.0.0\",\"local_port\":80,\"backlog\":8,"
            "\"half_open\":0,\"accept_queue\":0}]\n");

  const std::string stats = ask(path, "stats\n");
  EXPECT_NE(stats.find("tcp:\n"), std::string::npos) << stats;
  EXPECT_NE(stats.find(" passive connection openings\n"), std::string::npos) << stats;
  const std::string sj = ask(path, "stats --json\r\n");
  EXPECT_NE(sj.find("{\"group\":\"tcp\",\"counters\":[{\"name\":"), std::string::npos) << sj;
  EXPECT_NE(sj.find("{\"name\":\"passive connection openings\",\"value\":1}"), std::string::npos)
      << sj;

  EXPECT_NE(ask(path, "help\n").find("connections"), std::string::npos);
  EXPECT_EQ(ask(path, "help --json\n").rfind("{\"commands\":", 0), 0u);
  // End of stream stands in for the newline.
  EXPECT_EQ(ask(path, "listeners", true), ls);
}

TEST_F(ControlServerTest, SocketIsTheOwnersOnlyAndRemovedAtStop) {
  start();
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  server->stop();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  server->stop();  // twice is harmless
}

TEST_F(ControlServerTest, StaleSocketIsReplaced) {
  {  // a socket file with nobody behind it, as a killed program leaves
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), path.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  ASSERT_TRUE(fs::is_socket(path));
  start();
  EXPECT_EQ(ask(path, "listeners --json\n"), "[]\n");
}

TEST_F(ControlServerTest, RegularFileAtThePathIsRefusedAndKept) {
  std::ofstream(path) << "precious";
  try {
    start();
    FAIL() << "started over a regular file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "--control " + path + ": exists and is not a socket");
  }
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(ControlServerTest, LiveServerAtThePathIsRefused) {
  start();
  app::ControlConfig c;
  c.path = path;
  try {
    app::ControlServer second(server_loop, c);
    FAIL() << "a second server started on a live one's path";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--control " + path + ": a control server already answers there");
  }
  EXPECT_EQ(ask(path, "listeners --json\n"), "[]\n");  // the first one still serves
}

TEST_F(ControlServerTest, HostileRequestsGetAnErrorAndTheServerGoesOn) {
  start();
  const std::string good = "[]\n";
  const auto still_good = [&] { EXPECT_EQ(ask(path, "listeners --json\n"), good); };

  EXPECT_EQ(ask(path, "x\n"), "error: unknown command 'x' (try help)\n");
  still_good();
  EXPECT_EQ(ask(path, "stats --yaml\n"), "error: unknown option '--yaml' (try help)\n");
  EXPECT_EQ(ask(path, "\n"), "error: empty request (try help)\n");
  // 100 KiB without a newline: refused once the limit is passed, not read to the end.
  EXPECT_EQ(ask(path, std::string(100 * 1024, 'a')),
            "error: request line longer than 1024 bytes\n");
  still_good();
  EXPECT_EQ(ask(path, std::string(1024, 'b') + "\n"),
            "error: unknown command '" + std::string(64, 'b') + "...' (try help)\n");
  EXPECT_EQ(ask(path, std::string("stats\0\0\0\n", 9)), "error: request contains binary bytes\n");
  EXPECT_EQ(ask(path, "\xff\xfe\x01\x02"), "error: request contains binary bytes\n");
  still_good();
}

TEST_F(ControlServerTest, ClientsThatLeaveEarlyCostNothing) {
  connect();
  start();
  for (int i = 0; i < 20; ++i) {
    // Connects and leaves without a word, or with half a word.
    ::close(dial(path));
    const int part = dial(path);
    ASSERT_TRUE(send_all(part, "conn"));
    ::close(part);
    // Asks and leaves before the answer: the server's send meets EPIPE (no SIGPIPE: this test
    // process would die of it).
    const int fd = dial(path);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, i % 2 ? "stats\n" : "connections --json\n"));
    ::close(fd);
  }
  // Reads a little of the answer, then leaves.
  const int fd = dial(path);
  ASSERT_TRUE(send_all(fd, "stats\n"));
  char c;
  ASSERT_EQ(::recv(fd, &c, 1, 0), 1);
  ::close(fd);
  EXPECT_EQ(ask_when_free(path, "listeners\n").rfind("Local", 0), 0u);
}

TEST_F(ControlServerTest, SilentClientIsClosedAfterTheTimeoutWhileOthersAreServed) {
  app::ControlConfig c;
  c.request_timeout = std::chrono::milliseconds(500);
  start(c);
  const auto t0 = Clock::now();
  const int idle = dial(path);
  ASSERT_GE(idle, 0);
  const int half = dial(path);  // half a request, then nothing
  ASSERT_TRUE(send_all(half, "conn"));
  // Served meanwhile, at once.
  EXPECT_EQ(ask(path, "listeners --json\n"), "[]\n");
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(read_to_eof(idle), "error: no request within 500 ms\n");
  EXPECT_EQ(read_to_eof(half), "error: no request within 500 ms\n");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(450));
  ::close(idle);
  ::close(half);
  EXPECT_EQ(ask(path, "listeners --json\n"), "[]\n");
}

TEST_F(ControlServerTest, ClientsBeyondTheLimitAreRefused) {
  app::ControlConfig c;
  c.max_clients = 4;
  start(c);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(dial(path));
    ASSERT_GE(idle.back(), 0);
  }
  // Accepted in the order they connected, so the fifth is over the limit.
  EXPECT_EQ(ask(path, "listeners --json\n"), "error: too many clients (limit 4); try again\n");
  for (int fd : idle)
    ::close(fd);
  // The server notices the four leave; until then it may still refuse.
  const std::string answer = ask_when_free(path, "listeners --json\n");
  EXPECT_EQ(answer, "[]\n");
}

TEST_F(ControlServerTest, SeveralClientsAtOnceEachGetTheirAnswer) {
  start();
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) {
    fds.push_back(dial(path));
    ASSERT_GE(fds.back(), 0);
  }
  // Requests sent in reverse order of connection; each client gets its own answer.
  for (size_t i = fds.size(); i-- > 0;)
    ASSERT_TRUE(send_all(fds[i], i % 2 ? "listeners --json\n" : "help --json\n"));
  for (size_t i = 0; i < fds.size(); ++i) {
    const std::string a = read_to_eof(fds[i]);
    if (i % 2)
      EXPECT_EQ(a, "[]\n");
    else
      EXPECT_EQ(a.rfind("{\"commands\":", 0), 0u) << a;
    ::close(fds[i]);
  }
}

TEST_F(ControlServerTest, PathTooLongIsRefused) {
  app::ControlConfig c;
  c.path = dir + "/" + std::string(200, 'p');
  EXPECT_THROW(app::ControlServer(server_loop, c), std::runtime_error);
}

}  // namespace
}  // namespace tundra::test
