// tundra-ctl: asks a running tundra program (started with --control PATH) for its connections,
// listeners or counters over the control socket, like `ss -tin` and `netstat -s` do the kernel's.
// Needs no root and opens no TUN device. Exit codes: 0 ok, 1 cannot connect or no answer,
// 2 usage, 3 the server answered with an error.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "apps/common/options.hpp"
#include "apps/common/version.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitConnect = 1;
constexpr int kExitUsage = 2;
constexpr int kExitServerError = 3;

using Clock = std::chrono::steady_clock;

int fail(int code, const std::string& message) {
  fmt::print(stderr, "tundra-ctl: error: {}\n", message);
  return code;
}

// The answer to one request, or a one-line reason it could not be had.
struct Exchange {
  std::string answer;
  std::optional<std::string> error;
};

int millis_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 60'000));
}

Exchange ask(const std::string& path, const std::string& request, double timeout_s) {
  Exchange x;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    x.error = fmt::format("socket: {}", std::strerror(errno));
    return x;
  }
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());  // length checked by the caller
  // A full backlog answers EAGAIN at once: try again until the deadline.
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN && millis_left(deadline) > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ::close(fd);
    x.error = fmt::format("cannot connect to {}: {}{}", path, std::strerror(e),
                          e == ECONNREFUSED || e == ENOENT
                              ? " (is a tundra program running with --control there?)"
                              : "");
    return x;
  }
  size_t sent = 0;
  bool got_eof = false;
  char buf[65536];
  while (!got_eof) {
    pollfd p{fd, static_cast<short>(sent < request.size() ? POLLOUT | POLLIN : POLLIN), 0};
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      x.error = n == 0 ? fmt::format("{}: no answer within {} s", path, timeout_s)
                       : fmt::format("poll: {}", std::strerror(errno));
      break;
    }
    if (sent < request.size() && (p.revents & POLLOUT)) {
      const ssize_t w = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE && errno != ECONNRESET) {
        x.error = fmt::format("{}: send: {}", path, std::strerror(errno));
        break;
      }
      // EPIPE/ECONNRESET: the server refused us and closed; what it said is still to be read.
      if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) sent = request.size();
      if (w > 0) sent += static_cast<size_t>(w);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        if (errno == ECONNRESET && !x.answer.empty()) break;
        x.error = fmt::format("{}: recv: {}", path, std::strerror(errno));
        break;
      }
      if (r == 0) got_eof = true;
      x.answer.append(buf, static_cast<size_t>(r));
    }
  }
  ::close(fd);
  if (!x.error && x.answer.empty()) x.error = fmt::format("{}: empty answer", path);
  return x;
}

// Waits up to `seconds` for SIGINT or SIGTERM (blocked, so they wait for us here). True: one came.
bool interrupted_within(double seconds) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  while (true) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) return true;
    if (sig < 0 && errno == EAGAIN) return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "tundra-ctl: ask a tundra program started with --control PATH for its TCP connections, "
      "listeners or counters (like ss -tin and netstat -s)",
      "tundra-ctl"};
  cli.set_version_flag("--version", tundra::app::version());
  std::string path, command;
  bool json = false;
  double watch = 0, timeout = 5;
  unsigned count = 0;
  cli.add_option("PATH", path, "the control socket (the program's --control PATH)")->required();
  cli.add_option("COMMAND", command, "connections, listeners, stats or help")->required();
  cli.add_flag("--json", json, "one JSON document instead of aligned text");
  auto* watch_opt =
      cli.add_option("--watch", watch, "ask again every SECONDS until Ctrl-C (clears a terminal)")
          ->type_name("SECONDS")
          ->check(CLI::Range(0.1, 86400.0));
  cli.add_option("--count", count, "with --watch: stop after N answers")
      ->type_name("N")
      ->check(CLI::Range(1u, 1'000'000'000u))
      ->needs(watch_opt);
  cli.add_option("--timeout", timeout, "seconds to wait for each answer")
      ->type_name("S")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cli.footer(
      "Exit codes: 0 ok, 1 cannot connect or no answer, 2 usage, 3 the server answered with an "
      "error.");
  if (const auto code = tundra::app::parse_command_line(cli, argc, argv)) return *code;
  if (path.empty()) return fail(kExitUsage, "PATH is empty");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return fail(kExitUsage, fmt::format("PATH is longer than {} bytes (a Unix socket's limit)",
                                        sizeof(sockaddr_un::sun_path) - 1));
  if (command.empty() ||
      command.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos)
    return fail(kExitUsage, fmt::format("COMMAND must be one word, like connections"));

  // Ctrl-C during --watch ends it between answers; a closed stdout is a write error, not SIGPIPE.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (watch > 0) pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string request = command + (json ? " --json" : "") + "\n";
  const bool clear = watch > 0 && isatty(STDOUT_FILENO);
  for (unsigned n = 1;; ++n) {
    Exchange x = ask(path, request, timeout);
    if (x.error) return fail(kExitConnect, *x.error);
    if (x.answer.rfind("error: ", 0) == 0) {
      fmt::print(stderr, "{}", x.answer);
      if (x.answer.back() != '\n') fmt::print(stderr, "\n");
      return kExitServerError;
    }
    if (clear) fmt::print("\033[H\033[2J");
    fmt::print("{}", x.answer);
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
      return fail(kExitConnect, "cannot write to stdout");
    if (watch <= 0 || (count > 0 && n >= count)) break;
    if (interrupted_within(watch)) break;
  }
  return kExitOk;
}
