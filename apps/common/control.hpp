// ControlServer: the control socket every tundra program opens with --control PATH (Runtime
// starts it), which tundra-ctl asks for the connection table, the listeners and the counters.
// A Unix stream socket (mode 0600) served by its own thread with poll(2); the protocol is in
// control_protocol.hpp: one request line in, the answer out, then the server closes.
//
// Read-only: a request copies the numbers under the loop's lock in one pass (a consistent
// snapshot, tcp::snapshot) and renders them after releasing it, so a busy stack is barely held.
// Hostile clients get one "error: …" line and are closed: a line over 1 KiB, binary bytes, an
// unknown command, silence past the request timeout, more clients than the limit. A client that
// goes away while being answered costs nothing (MSG_NOSIGNAL: no SIGPIPE).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

#include "stack/loop/event_loop.hpp"

namespace tundra::app {

struct ControlConfig {
  std::string path;
  size_t max_clients = 32;  // served at once; more get an error and are closed
  // The whole request line must arrive within this after connecting.
  std::chrono::milliseconds request_timeout{2000};
  // A client that takes none of its answer this long is dropped.
  std::chrono::milliseconds send_timeout{5000};
};

class ControlServer {
 public:
  // Binds the socket and starts serving. A stale socket at the path (nothing answering) is
  // replaced; a path that exists and is not a socket, or where a live server answers, is
  // refused: std::runtime_error with a one-line reason.
  ControlServer(EventLoop& loop, ControlConfig config);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Stops the thread (joined), closes every client and removes the socket file. Idempotent.
  void stop();
  const std::string& path() const { return config_.path; }

 private:
  struct Client;
  void run();
  std::string answer(const std::string& line);

  EventLoop& loop_;
  ControlConfig config_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  dev_t dev_ = 0;  // the socket file we made: removed at stop only if it is still ours
  ino_t ino_ = 0;
  std::thread thread_;
};

}  // namespace tundra::app
