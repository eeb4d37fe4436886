// One hop of tundra-fetch: resolve, connect, send, read, close, each step timed and shown.
#include "apps/fetch/session.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "apps/common/sockets.hpp"
#include "apps/fetch/exit_codes.hpp"
#include "apps/fetch/progress.hpp"
#include "apps/fetch/redirect.hpp"
#include "apps/fetch/response_reader.hpp"

namespace tundra::fetch {
namespace {

std::string endpoint_text(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return fmt::format("{}:{}", text, ntohs(a.sin_port));
}

// Time left until the deadline, at least 1 ms; nullopt without one.
std::optional<SteadyClock::duration> left(const std::optional<SteadyClock::time_point>& deadline) {
  if (!deadline) return std::nullopt;
  return std::max<SteadyClock::duration>(*deadline - SteadyClock::now(),
                                         std::chrono::milliseconds(1));
}

void set_timeout(sock::SocketApi& api, int fd, int option, std::optional<SteadyClock::duration> d) {
  timeval tv{};  // zero: no time limit
  if (d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(*d).count();
    tv.tv_sec = static_cast<time_t>(us / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  }
  api.setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// Where an address came from, in the words -v uses (tests grep for these; the resolver's own
// to_string() may word them differently).
std::string_view source_text(app::ResolveSource s) {
  switch (s) {
    case app::ResolveSource::kLiteral:
      return "an IPv4 literal: nothing to look up";
    case app::ResolveSource::kOverride:
      return "from --resolve";
    case app::ResolveSource::kHosts:
      return "from the hosts file";
    case app::ResolveSource::kDns:
      return "from DNS";
  }
  return "?";
}

// The response bytes from the socket, each read bounded by --max-time.
class SocketSource final : public ByteSource {
 public:
  SocketSource(sock::SocketApi& api, int fd, std::optional<SteadyClock::time_point> deadline)
      : api_(api), fd_(fd), deadline_(deadline) {}
  ssize_t read(std::span<char> buf) override {
    if (deadline_) {
      pollfd p{fd_, POLLIN, 0};
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*left(deadline_));
      const int r = api_.poll(&p, 1, static_cast<int>(std::max<int64_t>(ms.count(), 1)));
      if (r < 0) return -errno;
      if (r == 0) {
        deadline_passed_ = true;
        return -ETIMEDOUT;
      }
    }
    const ssize_t n = api_.recv(fd_, buf.data(), buf.size(), 0);
    return n < 0 ? -errno : n;
  }
  // The read failed because --max-time ran out, not because of the connection.
  bool deadline_passed() const { return deadline_passed_; }

 private:
  sock::SocketApi& api_;
  int fd_;
  std::optional<SteadyClock::time_point> deadline_;
  bool deadline_passed_ = false;
};

// The request head as -v shows it: each line with "> ", without CRs.
std::string quoted_request(std::string_view head) {
  std::string out;
  while (!head.empty()) {
    const size_t end = head.find("\r\n");
    out += fmt::format("> {}\n", head.substr(0, end));
    if (end == std::string_view::npos) break;
    head.remove_prefix(end + 2);
  }
  return out;
}

std::string framing_text(const http::Message& m, std::string_view method) {
  if (method == "HEAD") return "no body (HEAD)";
  if (m.status == 204 || m.status == 304) return fmt::format("no body ({})", m.status);
  if (m.chunked) return "body chunked (RFC 9112 7.1)";
  if (m.content_length) return fmt::format("body of Content-Length {}", *m.content_length);
  return "body until the server closes (RFC 9112 6.3)";
}

// The response head as the wire carried it, for -I.
std::string wire_head(const http::Message& m) {
  std::string out = fmt::format("HTTP/1.{} {} {}\r\n", m.version_minor, m.status, m.reason);
  for (const auto& f : m.fields)
    out += fmt::format("{}: {}\r\n", f.name, f.value);
  return out + "\r\n";
}

}  // namespace

HopResult run_hop(sock::SocketApi& api, const HopOptions& o, const StepPrinter& printer,
                  Output& output) {
  HopResult result;
  const RequestSpec& req = *o.request;
  const http::Url& url = req.url;
  auto fail = [&](int code, std::string message) {
    result.exit_code = code;
    result.error = std::move(message);
    return result;
  };
  auto timed_out_text = [&] { return fmt::format("--max-time {} s ran out", o.max_time_s); };

  // 1. The host name is the URL's authority without the port (RFC 3986 3.2.2).
  printer.step(StepId::kHostName, fmt::format("{} (from {})", url.host, url.to_string()));

  // 2. Its IPv4 address.
  printer.step(StepId::kResolve, fmt::format("looking up {}", url.host));
  auto resolved = app::resolve(api, url.host, *o.resolver);
  if (!resolved) {
    if (o.deadline && SteadyClock::now() >= *o.deadline)
      return fail(kExitTimedOut, fmt::format("{} while resolving {} ({})", timed_out_text(),
                                             url.host, resolved.error().detail));
    return fail(kExitResolve,
                fmt::format("could not resolve host {}: {} ({})", url.host,
                            app::to_string(resolved.error().error), resolved.error().detail));
  }
  const app::Resolution& res = *resolved;
  result.times.dns = res.elapsed;
  std::vector<std::string> addresses;
  for (const auto& a : res.addresses)
    addresses.push_back(a.to_string());
  printer.detail(fmt::format("{} has address {} ({}) in {}", res.name, fmt::join(addresses, ", "),
                             source_text(res.source), format_ms(res.elapsed)));
  if (res.source == app::ResolveSource::kDns && res.server)
    printer.detail(fmt::format("asked {} (query id {}, from UDP port {}, {} attempt(s)){}",
                               res.server->to_string(), res.query_id, res.local_port, res.attempts,
                               res.cnames.empty()
                                   ? std::string()
                                   : fmt::format(", via CNAME {}", fmt::join(res.cnames, " -> "))));
  if (o.deadline && SteadyClock::now() >= *o.deadline) return fail(kExitTimedOut, timed_out_text());

  // 3. The port: given in the URL, or the scheme's default (RFC 9110 4.2.1: 80 for http).
  printer.step(StepId::kPort, fmt::format("{} ({})", url.port,
                                          url.port_given ? "given in the URL" : "http's default"));

  // 4. A TCP connection: SYN, SYN-ACK, ACK (RFC 9293 3.5). When a name has several addresses and
  // one refuses or does not answer, the next is tried (RFC 8305 section 5's fallback, one address
  // at a time, without racing).
  sockaddr_in peer{};
  int fd = -1;
  auto connect_start = SteadyClock::now();
  for (size_t i = 0; i < res.addresses.size(); ++i) {
    peer = app::ipv4_sockaddr(res.addresses[i], url.port);
    if (i == 0)
      printer.step(StepId::kConnect, fmt::format("to {}", endpoint_text(peer)));
    else
      printer.detail(fmt::format("trying the next address: {}", endpoint_text(peer)));
    fd = api.socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail(kExitStart, fmt::format("socket: {}", describe_errno(errno)));
    std::optional<SteadyClock::duration> connect_limit = o.connect_timeout;
    if (auto l = left(o.deadline); l && (!connect_limit || *l < *connect_limit)) connect_limit = l;
    set_timeout(api, fd, SO_SNDTIMEO, connect_limit);
    connect_start = SteadyClock::now();
    if (api.connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) == 0) break;
    const int err = errno;
    api.close(fd);
    fd = -1;
    // EINPROGRESS: SO_SNDTIMEO ran out during the handshake.
    const int code = err == EINPROGRESS ? kExitTimedOut : exit_code_for_errno(err);
    const std::string message =
        err == EINPROGRESS
            ? fmt::format("connect to {} timed out after {}", endpoint_text(peer),
                          format_ms(SteadyClock::now() - connect_start))
            : fmt::format("connect to {}: {}", endpoint_text(peer), describe_errno(err));
    const bool time_left = !o.deadline || SteadyClock::now() < *o.deadline;
    if (i + 1 == res.addresses.size() || !time_left) return fail(code, message);
    printer.detail(message);
  }
  result.times.connect = SteadyClock::now() - connect_start;
  sockaddr_in local{};
  socklen_t len = sizeof local;
  api.getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  const std::string tuple = fmt::format("{} -> {}", endpoint_text(local), endpoint_text(peer));
  printer.detail(
      fmt::format("connected: {} (TCP 4-tuple: local address and port, remote "
                  "address and port) in {}",
                  tuple, format_ms(result.times.connect)));

  // Whatever happens from here on, step 7 closes the connection.
  auto close_connection = [&] {
    printer.step(StepId::kClose, tuple);
    const auto t = SteadyClock::now();
    // Wait (a little) for our FIN to be acknowledged so the capture shows a whole close.
    const linger l{1, 1};
    api.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    api.close(fd);
    printer.detail(fmt::format("closed in {}", format_ms(SteadyClock::now() - t)));
  };

  // 5. The request: head, then body (-d).
  const std::string head = build_request_head(req, o.user_agent);
  printer.step(StepId::kSend, fmt::format("{} {} HTTP/1.1", req.method, url.target()));
  printer.raw(quoted_request(head));
  set_timeout(api, fd, SO_SNDTIMEO, left(o.deadline));
  std::string wire = head;
  if (req.body) wire += *req.body;
  for (size_t sent = 0; sent < wire.size();) {
    const ssize_t n = api.send(fd, wire.data() + sent, wire.size() - sent, 0);
    if (n < 0) {
      const int err = errno;
      close_connection();
      if (err == EAGAIN) return fail(kExitTimedOut, timed_out_text());
      return fail(exit_code_for_errno(err), fmt::format("send: {}", describe_errno(err)));
    }
    sent += static_cast<size_t>(n);
  }
  const auto sent_at = SteadyClock::now();
  printer.detail(fmt::format("sent {} bytes of head and {} of body", head.size(),
                             req.body ? req.body->size() : 0));

  // 6. The response, streamed to the output as it arrives.
  printer.step(StepId::kRead, "waiting for the first byte");
  SteadyClock::time_point first_byte = sent_at;
  std::optional<uint64_t> total;
  bool draw = false;
  ProgressThrottle throttle;
  bool drew = false;
  bool head_write_failed = false;  // -I head or opening -o failed: exit 10, not a stop
  ResponseHandlers h;
  h.on_first_byte = [&] {
    first_byte = SteadyClock::now();
    result.times.ttfb = first_byte - sent_at;
    printer.detail(fmt::format("first byte after {}", format_ms(result.times.ttfb)));
  };
  h.on_interim = [&](const http::Message& m) {
    printer.raw(format_head(m, "< "));
    printer.detail(fmt::format("interim response {} skipped (RFC 9110 15.2)", m.status));
  };
  h.on_head = [&](const http::Message& m) {
    printer.raw(format_head(m, "< "));
    printer.detail(
        fmt::format("status {} {}; {}", m.status, m.reason, framing_text(m, req.method)));
    if (o.write_head) {
      const std::string text = wire_head(m);
      if (!output.write(std::span<const char>(text))) {
        head_write_failed = true;
        return false;
      }
    }
    if (o.follow_redirects && is_followed_redirect(m.status) && m.find("Location")) {
      result.stopped = true;
      return false;
    }
    if (o.fail_on_error && m.status >= 400) {
      result.stopped = true;
      return false;
    }
    total = m.content_length;
    draw = o.progress && req.method != "HEAD" && want_progress(true, false, total);
    // Even an empty body makes the -o file, as curl does.
    if (req.method != "HEAD" && !output.open()) {
      head_write_failed = true;
      return false;
    }
    return true;
  };
  h.on_body = [&](std::span<const char> piece) {
    if (!output.write(piece)) return false;
    if (draw && throttle.due(SteadyClock::now())) {
      const double s = std::chrono::duration<double>(SteadyClock::now() - first_byte).count();
      fmt::print(stderr, "\r{}\x1b[K",
                 format_progress({result.body_bytes + piece.size(), total, s}));
      std::fflush(stderr);
      drew = true;
    }
    result.body_bytes += piece.size();
    return true;
  };
  SocketSource source(api, fd, o.deadline);
  ReadResult r = read_response(source, req.method, h);
  result.times.transfer = SteadyClock::now() - first_byte;
  if (drew) {
    const double s = std::chrono::duration<double>(result.times.transfer).count();
    fmt::print(stderr, "\r{}\x1b[K\n", format_progress({result.body_bytes, total, s}));
  }
  result.head = r.head;
  if (head_write_failed) r.end = ReadEnd::kWriteFailed;
  switch (r.end) {
    case ReadEnd::kComplete:
    case ReadEnd::kStopped:
      if (r.end == ReadEnd::kComplete) {
        for (const auto& f : r.head.trailers)
          printer.detail(fmt::format("trailer {}: {}", f.name, f.value));
        if (req.method != "HEAD")
          printer.detail(fmt::format("body: {} bytes in {} ({}), {} bytes on the wire",
                                     result.body_bytes, format_ms(result.times.transfer),
                                     format_rate(result.body_bytes, result.times.transfer),
                                     r.wire_bytes));
      } else {
        printer.detail("body not read");
      }
      close_connection();
      return result;
    case ReadEnd::kReadError:
      close_connection();
      if (source.deadline_passed())
        return fail(kExitTimedOut, fmt::format("{} after {} bytes of the response",
                                               timed_out_text(), r.wire_bytes));
      return fail(
          exit_code_for_errno(r.sys_errno),
          fmt::format("receive after {} bytes: {}", r.wire_bytes, describe_errno(r.sys_errno)));
    case ReadEnd::kMalformed:
      close_connection();
      return fail(kExitBadResponse, fmt::format("bad response from {} after {} bytes: {}",
                                                endpoint_text(peer), r.wire_bytes, r.detail));
    case ReadEnd::kWriteFailed:
      close_connection();
      return fail(kExitWrite, output.error());
  }
  close_connection();
  return result;
}

}  // namespace tundra::fetch
