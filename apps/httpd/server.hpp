// The HTTP/1.1 server of tundra-httpd: one thread, non-blocking facade sockets and poll(), one
// Connection state machine per client (read → parse → respond → stream body → next request or
// close), deadlines for slow, idle and non-reading peers. Takes any SocketApi, so a unit test can
// run it on an in-memory stack.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "apps/httpd/config.hpp"
#include "apps/httpd/connection.hpp"
#include "apps/httpd/responder.hpp"
#include "stack/base/counters.hpp"
#include "stack/http/parser.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::httpd {

class Server {
 public:
  // Opens the listening socket on config.port; throws std::runtime_error on failure.
  Server(sock::SocketApi& api, ServerConfig config);
  ~Server();

  // Serves until the facade's descriptors are closed (Runtime::stop()).
  void run();
  // One round: poll (at most `max_wait_ms`, -1: until the next deadline), handle what is ready,
  // expire deadlines. False once the listener is gone.
  bool run_once(int max_wait_ms);

  // Counters, safe to read from another thread (SIGUSR1, exit).
  CounterGroup counters() const;
  size_t connections() const { return open_.load(); }
  // Bytes of our own the connections hold beyond their fixed part (buffers' capacity and
  // parsers); from the server's thread only. Idle keep-alive connections hold none.
  size_t buffered_bytes() const;

 private:
  void accept_all(SteadyTime now);
  void handle(Connection& c, short revents, SteadyTime now);
  void pump(Connection& c, SteadyTime now);
  void read(Connection& c, SteadyTime now);
  void consume(Connection& c, std::span<const char> in, SteadyTime now);
  void on_headers(Connection& c, SteadyTime now);
  void on_eof(Connection& c, SteadyTime now);
  void start_response(Connection& c, SteadyTime now);
  // Answers `status` and closes; `malformed` counts it as a bad request (not a timeout).
  void respond_error(Connection& c, unsigned status, std::string_view why, SteadyTime now,
                     bool malformed = true);
  void install(Connection& c, Response r, SteadyTime now);
  void write(Connection& c, SteadyTime now);
  void finish_response(Connection& c, SteadyTime now);
  void begin_close(Connection& c, SteadyTime now);
  void drain(Connection& c);
  void expire(Connection& c, SteadyTime now);
  void count_status(unsigned status);

  sock::SocketApi& api_;
  ServerConfig config_;
  Responder responder_;
  http::Limits limits_;
  int listener_ = -1;
  std::unordered_map<int, std::unique_ptr<Connection>> conns_;
  size_t active_ = 0;          // connections counted against max_connections
  std::vector<char> scratch_;  // the one read buffer: socket reads and file chunks
  std::vector<pollfd> fds_;
  static constexpr int one_ = 1;

  std::atomic<uint64_t> accepted_{0}, rejected_{0}, open_{0}, requests_{0}, parse_errors_{0};
  std::atomic<uint64_t> status_[6] = {};  // 1xx .. 5xx (index 1..5)
  std::atomic<uint64_t> header_timeouts_{0}, silent_timeouts_{0}, body_timeouts_{0},
      idle_timeouts_{0}, send_timeouts_{0}, resets_{0}, bytes_sent_{0};
};

}  // namespace tundra::httpd
