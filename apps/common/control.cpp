// The control server: binding the Unix socket safely, and the poll(2) loop that serves clients.
#include "apps/common/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "apps/common/control_protocol.hpp"
#include "stack/tcp/table.hpp"

namespace tundra::app {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

std::runtime_error failure(const std::string& path, const std::string& what) {
  return std::runtime_error(fmt::format("--control {}: {}", path, what));
}

std::string errno_text(int e) {
  return std::strerror(e);
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());  // checked to fit, NUL from a{}
  return a;
}

// Whether a server accepts connections at `path` (a socket file). A refused connect means a stale
// file; a full backlog (EAGAIN) means a live but busy one.
bool live_server_at(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw failure(path, "socket: " + errno_text(errno));
  const sockaddr_un a = unix_address(path);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  const int e = errno;
  ::close(fd);
  if (rc == 0 || e == EAGAIN || e == EINPROGRESS) return true;
  if (e == ECONNREFUSED || e == ENOENT) return false;
  throw failure(path, "cannot check the existing socket: " + errno_text(e));
}

// Milliseconds from now to `t`, rounded up, at least 0.
int millis_until(SteadyTime now, SteadyTime t) {
  if (t <= now) return 0;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - now).count();
  return static_cast<int>(std::min<int64_t>((us + 999) / 1000, 60'000));
}

}  // namespace

// One connected client: reading its request line, then writing the answer.
struct ControlServer::Client {
  int fd = -1;
  std::string in;   // the request so far
  std::string out;  // the answer
  size_t sent = 0;
  bool answering = false;  // the request is in (or refused): writing `out`, then close
  SteadyTime deadline;
  bool done = false;  // to be closed
};

ControlServer::ControlServer(EventLoop& loop, ControlConfig config)
    : loop_(loop), config_(std::move(config)) {
  const std::string& path = config_.path;
  if (path.empty()) throw failure(path, "empty path");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    throw failure(path, fmt::format("path longer than {} bytes (a Unix socket's limit)",
                                    sizeof(sockaddr_un::sun_path) - 1));
  if (path.find('\0') != std::string::npos) throw failure(path, "path contains a NUL byte");

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw failure(path, "exists and is not a socket");
    if (live_server_at(path)) throw failure(path, "a control server already answers there");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      throw failure(path, "cannot remove the stale socket: " + errno_text(errno));
    spdlog::debug("control: replaced a stale socket at {}", path);
  } else if (errno != ENOENT) {
    throw failure(path, errno_text(errno));
  }

  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw failure(path, "socket: " + errno_text(errno));
  const sockaddr_un a = unix_address(path);
  // Only the owner may connect: the file is created 0600 (umask around bind, so it never exists
  // with a wider mode), and chmod again in case the file system ignores the umask.
  const mode_t old_mask = ::umask(0177);
  const int rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) {
    ::close(listen_fd_);
    throw failure(path, "bind: " + errno_text(bind_errno));
  }
  const auto give_up = [&](const std::string& what) {
    const int e = errno;
    ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    ::unlink(path.c_str());
    return failure(path, what + ": " + errno_text(e));
  };
  if (::chmod(path.c_str(), 0600) != 0) throw give_up("chmod");
  if (::lstat(path.c_str(), &st) != 0) throw give_up("stat");
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  if (::listen(listen_fd_, 64) != 0) throw give_up("listen");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw give_up("eventfd");
  thread_ = std::thread([this] { run(); });
  spdlog::debug("control: listening on {}", path);
}

ControlServer::~ControlServer() {
  stop();
}

void ControlServer::stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    // Remove the file only if it is still the one we bound (not a newer server's).
    struct stat st {};
    if (::lstat(config_.path.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
      ::unlink(config_.path.c_str());
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

std::string ControlServer::answer(const std::string& line) {
  auto request = control::parse_request(line);
  if (!request) {
    spdlog::debug("control: refused request: {}", request.error());
    return control::error_line(request.error());
  }
  const bool json = request->json;
  switch (request->command) {
    case control::Command::Connections:
    case control::Command::Listeners: {
      tcp::Table table;
      {
        std::lock_guard lock(loop_.mutex());
        table = tcp::snapshot(loop_.stack().tcp(), loop_.clock().now());
      }
      tcp::order(table);
      return request->command == control::Command::Connections
                 ? control::render_connections(table, json)
                 : control::render_listeners(table, json);
    }
    case control::Command::Stats: {
      CounterReport report;
      {
        std::lock_guard lock(loop_.mutex());
        report = loop_.stack().report();
        report.push_back(loop_.report());
      }
      return control::render_stats(report, json);
    }
    case control::Command::Help:
      return control::render_help(json);
  }
  return control::error_line("internal error");
}

void ControlServer::run() {
  // Signals belong to the thread that waits for them (Runtime::wait_for_stop_signal).
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  std::list<Client> clients;
  std::vector<pollfd> fds;
  std::vector<Client*> polled;

  // Takes what `c` sent; when the line is complete (or refused) prepares the answer.
  const auto read_request = [&](Client& c) {
    char buf[4096];
    while (!c.answering) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          spdlog::debug("control: client {}: recv: {}", c.fd, errno_text(errno));
          c.done = true;
        }
        return;
      }
      if (n == 0) {  // end of stream: what came is the request, if anything did
        if (c.in.empty()) {
          spdlog::debug("control: client {} closed without a request", c.fd);
          c.done = true;
          return;
        }
        c.out = answer(c.in);
        c.answering = true;
        break;
      }
      for (ssize_t i = 0; i < n && !c.answering; ++i) {
        const char ch = buf[i];
        if (ch == '\n') {
          c.out = answer(c.in);
          c.answering = true;
        } else if (!control::is_text_byte(ch) && ch != '\r') {
          spdlog::debug("control: client {}: binary bytes in the request", c.fd);
          c.out = control::error_line("request contains binary bytes");
          c.answering = true;
        } else if (c.in.size() >= control::kMaxRequestLine + 1) {  // +1: room for a CR
          spdlog::debug("control: client {}: request line too long", c.fd);
          c.out = control::error_line(
              fmt::format("request line longer than {} bytes", control::kMaxRequestLine));
          c.answering = true;
        } else {
          c.in += ch;
        }
      }
    }
    c.deadline = std::chrono::steady_clock::now() + config_.send_timeout;
  };

  // Sends what the socket takes of the answer; done when all is sent or the client is gone.
  const auto write_answer = [&](Client& c) {
    while (c.sent < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        spdlog::debug("control: client {}: send: {}", c.fd, errno_text(errno));
        c.done = true;
        return;
      }
      c.sent += static_cast<size_t>(n);
    }
    c.done = true;
  };

  const auto accept_clients = [&] {
    for (int i = 0; i < 64; ++i) {  // bounded, so a connect storm cannot starve the others
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          spdlog::debug("control: accept: {}", errno_text(errno));
        return;
      }
      if (clients.size() >= config_.max_clients) {
        spdlog::debug("control: refused a client: {} already connected", clients.size());
        const std::string msg = control::error_line(
            fmt::format("too many clients (limit {}); try again", config_.max_clients));
        [[maybe_unused]] auto n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        continue;
      }
      Client& c = clients.emplace_back();
      c.fd = fd;
      c.deadline = std::chrono::steady_clock::now() + config_.request_timeout;
    }
  };

  while (true) {
    fds.clear();
    polled.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    auto now = std::chrono::steady_clock::now();
    int timeout = -1;
    for (Client& c : clients) {
      fds.push_back({c.fd, static_cast<short>(c.answering ? POLLOUT : POLLIN), 0});
      polled.push_back(&c);
      const int t = millis_until(now, c.deadline);
      timeout = timeout < 0 ? t : std::min(timeout, t);
    }
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      spdlog::error("control: poll: {}", errno_text(errno));
      break;
    }
    if (fds[0].revents & POLLIN) break;  // stop()
    for (size_t i = 0; i < polled.size(); ++i) {
      Client& c = *polled[i];
      const short ev = fds[i + 2].revents;
      if (ev == 0) continue;
      if (!c.answering) {
        read_request(c);
        if (c.done) continue;
      }
      // POLLHUP/POLLERR while answering: the send below reports it (EPIPE) and closes.
      if (c.answering) write_answer(c);
    }
    now = std::chrono::steady_clock::now();
    for (Client& c : clients) {
      if (c.done || c.deadline > now) continue;
      if (!c.answering) {
        spdlog::debug("control: client {}: no request within {} ms", c.fd,
                      config_.request_timeout.count());
        const std::string msg = control::error_line(fmt::format(
            "no request within {} ms", static_cast<long long>(config_.request_timeout.count())));
        [[maybe_unused]] auto sent =
            ::send(c.fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      } else {
        spdlog::debug("control: client {}: answer not taken within {} ms", c.fd,
                      config_.send_timeout.count());
      }
      c.done = true;
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (it->done) {
        ::close(it->fd);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
    if (fds[1].revents & POLLIN) accept_clients();
  }
  for (Client& c : clients)
    ::close(c.fd);
}

}  // namespace tundra::app
