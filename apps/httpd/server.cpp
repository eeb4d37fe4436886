// The server's loop and each connection's state machine. Everything runs on the one thread that
// calls run(); the counters are atomics only so that another thread may print them.
#include "apps/httpd/server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "apps/common/sockets.hpp"
#include "apps/httpd/access_log.hpp"

namespace tundra::httpd {

namespace {

constexpr size_t kScratch = 64 * 1024;
constexpr int kAcceptBurst = 64;               // accepts per round, so clients get served meanwhile
constexpr int kPipelinedPerRound = 256;        // requests answered per connection per round
constexpr uint64_t kBodyWithHead = 16 * 1024;  // file bodies up to this go in the head's send

using std::chrono::duration_cast;
using std::chrono::milliseconds;

}  // namespace

Server::Server(sock::SocketApi& api, ServerConfig config)
    : api_(api), config_(std::move(config)), responder_(config_), scratch_(kScratch) {
  limits_.max_start_line = 8 * 1024;     // longer targets get 414
  limits_.max_header_bytes = 32 * 1024;  // larger field sections get 431
  limits_.max_body = config_.max_body;
  limits_.keep_trailers = false;
  listener_ = app::listen_tcp(api_, config_.port, 1024, true);
  if (listener_ < 0)
    throw std::runtime_error(fmt::format("TCP port {}: {}", config_.port, std::strerror(errno)));
}

Server::~Server() {
  for (auto& [fd, c] : conns_)
    api_.close(fd);
  if (listener_ >= 0) api_.close(listener_);
}

void Server::run() {
  while (run_once(-1)) {
  }
}

bool Server::run_once(int max_wait_ms) {
  auto now = std::chrono::steady_clock::now();
  fds_.clear();
  fds_.push_back({listener_, POLLIN, 0});
  std::optional<SteadyTime> next;
  for (const auto& [fd, c] : conns_) {
    const short ev = c->phase == Phase::writing ? POLLOUT : POLLIN;
    fds_.push_back({fd, ev, 0});
    if (!next || c->deadline < *next) next = c->deadline;
  }
  int wait = max_wait_ms;
  if (next) {
    // Round up, so we wake at or after the deadline rather than spin just before it.
    auto ms = duration_cast<milliseconds>(*next - now).count() + 1;
    ms = std::max<int64_t>(ms, 0);
    if (wait < 0 || ms < wait) wait = static_cast<int>(std::min<int64_t>(ms, 60'000));
  }
  if (api_.poll(fds_.data(), fds_.size(), wait) < 0) return false;  // closed: stopping
  now = std::chrono::steady_clock::now();
  for (const pollfd& p : fds_) {
    if (p.revents == 0) continue;
    if (p.fd == listener_) {
      if (p.revents & POLLNVAL) return false;
      accept_all(now);
      continue;
    }
    auto it = conns_.find(p.fd);
    if (it == conns_.end()) continue;
    if (p.revents & POLLNVAL) return false;  // descriptors closed by Runtime::stop()
    handle(*it->second, p.revents, now);
  }
  for (auto& [fd, c] : conns_)
    if (c->phase != Phase::closed && c->deadline <= now) expire(*c, now);
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->second->phase != Phase::closed) {
      ++it;
      continue;
    }
    api_.close(it->first);
    if (!it->second->rejected) --active_;
    --open_;
    it = conns_.erase(it);
  }
  return true;
}

void Server::accept_all(SteadyTime now) {
  for (int n = 0; n < kAcceptBurst; ++n) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int fd = api_.accept(listener_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN) spdlog::warn("httpd: accept: {}", std::strerror(errno));
      return;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer_addr = ntohl(from.sin_addr.s_addr);
    c->peer_port = ntohs(from.sin_port);
    c->deadline = now + config_.header_timeout;  // silence from the start is shed by this
    c->request_start = now;
    ++accepted_;
    ++open_;
    Connection& ref = *c;
    conns_[fd] = std::move(c);
    if (active_ >= config_.max_connections) {
      // RFC 9110 15.6.4: 503 says the overload is temporary. Answered at once, then closed.
      ref.rejected = true;
      ++rejected_;
      spdlog::warn("httpd: {}: over --max-connections ({}): 503", ref.peer(),
                   config_.max_connections);
      ref.request_line = "-";
      install(
          ref,
          responder_.error(503, "Too many connections; try again soon.", std::time(nullptr), true),
          now);
      pump(ref, now);
      continue;
    }
    ++active_;
    // A response ends in a partial segment that Nagle would hold until the client's delayed ACK
    // (tens of ms per keep-alive request); we write whole responses, so send at once.
    api_.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof one_);
    spdlog::debug("httpd: {}: connected", ref.peer());
  }
}

void Server::handle(Connection& c, short revents, SteadyTime now) {
  const bool readable = revents & (POLLIN | POLLHUP | POLLERR);
  switch (c.phase) {
    case Phase::writing:
      if (revents & (POLLOUT | POLLHUP | POLLERR)) write(c, now);
      break;
    case Phase::draining:
      if (readable) drain(c);
      break;
    case Phase::closed:
      break;
    default:
      if (readable) read(c, now);
  }
  pump(c, now);
}

// Moves the connection along as far as it can go without waiting: writes what the socket takes,
// then answers pipelined requests already received, then notices the peer's end.
void Server::pump(Connection& c, SteadyTime now) {
  for (int round = 0; round < kPipelinedPerRound; ++round) {
    switch (c.phase) {
      case Phase::writing:
        write(c, now);
        if (c.phase == Phase::writing) return;  // the socket is full: wait for POLLOUT
        continue;
      case Phase::idle:
      case Phase::head:
      case Phase::body:
        if (!c.pending.empty()) {
          std::string in;
          in.swap(c.pending);
          consume(c, in, now);
          continue;
        }
        if (c.peer_eof) {
          on_eof(c, now);
          continue;
        }
        return;
      default:
        return;
    }
  }
}

void Server::read(Connection& c, SteadyTime now) {
  const ssize_t n = api_.recv(c.fd, scratch_.data(), scratch_.size(), 0);
  if (n > 0) {
    if (c.phase == Phase::body) c.deadline = now + config_.idle_timeout;  // progress
    consume(c, std::span<const char>(scratch_.data(), static_cast<size_t>(n)), now);
  } else if (n == 0) {
    c.peer_eof = true;
  } else if (errno != EAGAIN) {
    spdlog::info("httpd: {}: receive: {}", c.peer(), std::strerror(errno));
    ++resets_;
    c.phase = Phase::closed;
  }
}

void Server::consume(Connection& c, std::span<const char> in, SteadyTime now) {
  if (!c.parser) c.parser = std::make_unique<http::Parser>(http::Role::request, limits_);
  if (c.phase == Phase::idle) {
    c.phase = Phase::head;
    c.request_start = now;
    // The whole head must arrive within the header timeout; a new connection's clock started
    // when it was accepted.
    if (!c.fresh) c.deadline = now + config_.header_timeout;
  }
  size_t used = 0;
  while (true) {
    const http::Step s = c.parser->feed(in.subspan(used));
    used += s.consumed;
    switch (s.event) {
      case http::Event::need_more:
        return;
      case http::Event::headers:
        on_headers(c, now);
        break;
      case http::Event::body:
        break;  // RFC 9110 9.3.1: a GET body has no meaning; read and drop it to stay in sync
      case http::Event::done:
        c.pending.append(in.data() + used, in.size() - used);  // pipelined: kept for later
        start_response(c, now);
        return;
      case http::Event::error:
        respond_error(c, s.error.status, s.error.what, now);
        return;
    }
  }
}

void Server::on_headers(Connection& c, SteadyTime now) {
  const http::Message& m = c.parser->message();
  c.request_line = fmt::format("{} {} HTTP/1.{}", m.method, m.target, m.version_minor);
  const bool has_body = m.chunked || m.content_length.value_or(0) > 0;
  if (!has_body) return;
  c.phase = Phase::body;
  c.deadline = now + config_.idle_timeout;
  if (m.expect_continue) {
    // RFC 9110 10.1.1: the client waits for 100 (Continue) before sending the body. It is a
    // few bytes on a connection with nothing else queued: a non-blocking send takes them.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (api_.send(c.fd, kContinue.data(), kContinue.size(), 0) < 0)
      spdlog::info("httpd: {}: 100 Continue: {}", c.peer(), std::strerror(errno));
  }
}

void Server::on_eof(Connection& c, SteadyTime now) {
  if (!c.parser || c.phase == Phase::idle) {
    spdlog::debug("httpd: {}: closed by the peer", c.peer());
    c.phase = Phase::closed;
    return;
  }
  // Half-close in the middle of a request: RFC 9112 8 calls it incomplete.
  const http::Step s = c.parser->finish();
  if (s.event == http::Event::error) {
    respond_error(c, s.error.status, s.error.what, now);
  } else {
    c.phase = Phase::closed;
  }
}

void Server::start_response(Connection& c, SteadyTime now) {
  const http::Message& m = c.parser->message();
  ++requests_;
  // RFC 9112 9.3: HTTP/1.1 persists unless "close"; ambiguous framing forces a close (6.3).
  const bool close = !m.keep_alive();
  Response r = responder_.respond(m, std::time(nullptr), close);
  if (r.status >= 400)
    spdlog::info("httpd: {}: {} for \"{}\": {}", c.peer(), r.status, c.request_line, r.note);
  install(c, std::move(r), now);
}

void Server::respond_error(Connection& c, unsigned status, std::string_view why, SteadyTime now,
                           bool malformed) {
  if (malformed) ++parse_errors_;
  if (c.request_line.empty()) c.request_line = "-";
  spdlog::info("httpd: {}: bad request: {} {}", c.peer(), status, why);
  const unsigned minor = c.parser ? c.parser->message().version_minor : 1;
  c.pending.clear();
  // After a framing error we cannot find the next request: answer, then close.
  install(c, responder_.error(status, why, std::time(nullptr), true, minor), now);
}

void Server::install(Connection& c, Response r, SteadyTime now) {
  c.status = r.status;
  c.close_after = c.close_after || r.close;
  c.head_bytes = r.head.size();
  c.sent_bytes = 0;
  c.out = std::move(r.head);
  c.out += r.body;
  c.out_sent = 0;
  c.file = std::move(r.file);
  // A small file goes out with the head in one send, so a small response is one segment rather
  // than a head segment and a body segment (what nginx gets from writev or TCP_CORK).
  // Read straight into the output: scratch_ may still hold pipelined requests being parsed.
  if (const uint64_t left = c.file.remaining(); left > 0 && left <= kBodyWithHead) {
    const size_t at = c.out.size();
    c.out.resize(at + left);
    const ssize_t got = c.file.peek(std::span<char>(c.out.data() + at, left));
    if (got > 0 && static_cast<uint64_t>(got) == left) {
      c.file.advance(left);
    } else {
      c.out.resize(at);  // write() reads it the usual way and reports what went wrong
    }
  }
  c.phase = Phase::writing;
  c.deadline = now + config_.send_timeout;
}

void Server::write(Connection& c, SteadyTime now) {
  while (true) {
    std::span<const char> chunk;
    if (c.out_sent < c.out.size()) {
      chunk = std::span<const char>(c.out).subspan(c.out_sent);
    } else if (c.file.remaining() > 0) {
      const ssize_t got = c.file.peek(scratch_);
      if (got <= 0) {
        spdlog::warn("httpd: {}: reading the file for \"{}\": {}", c.peer(), c.request_line,
                     got < 0 ? std::strerror(errno) : "it shrank");
        c.phase = Phase::closed;  // the Content-Length promise cannot be kept
        return;
      }
      chunk = std::span<const char>(scratch_.data(), static_cast<size_t>(got));
    } else {
      finish_response(c, now);
      return;
    }
    const ssize_t n = api_.send(c.fd, chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN) return;
      spdlog::info("httpd: {}: send: {}", c.peer(), std::strerror(errno));
      ++resets_;
      c.phase = Phase::closed;
      return;
    }
    const auto sent = static_cast<size_t>(n);
    if (c.out_sent < c.out.size())
      c.out_sent += sent;
    else
      c.file.advance(sent);
    c.sent_bytes += sent;
    bytes_sent_ += sent;
    c.deadline = now + config_.send_timeout;  // progress: the peer is reading
    if (sent < chunk.size()) return;          // the socket is full
  }
}

void Server::finish_response(Connection& c, SteadyTime now) {
  count_status(c.status);
  if (config_.access_log) {
    // The real time, not the round's: a long response ends many rounds after it started.
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - c.request_start);
    const uint64_t body = c.sent_bytes > c.head_bytes ? c.sent_bytes - c.head_bytes : 0;
    config_.access_log->info(
        access_line(fmt::format("{}.{}.{}.{}", c.peer_addr >> 24, (c.peer_addr >> 16) & 0xff,
                                (c.peer_addr >> 8) & 0xff, c.peer_addr & 0xff),
                    std::time(nullptr), c.request_line, c.status, body, took));
  }
  // Give the buffers back: an idle keep-alive connection holds none.
  std::string().swap(c.out);
  std::string().swap(c.request_line);
  c.out_sent = 0;
  c.file.reset();
  if (c.close_after) {
    begin_close(c, now);
    return;
  }
  c.fresh = false;
  c.phase = Phase::idle;
  c.deadline = now + config_.idle_timeout;
  if (c.pending.empty()) {
    c.parser.reset();
    std::string().swap(c.pending);
  }
}

// Closing after a response: FIN first, then read and drop whatever the peer still sends until it
// closes too (or the linger time passes). Closing with unread bytes would make the stack reset the
// connection, and a reset can destroy the response before the client has read it.
void Server::begin_close(Connection& c, SteadyTime now) {
  c.parser.reset();
  std::string().swap(c.pending);
  if (c.peer_eof) {
    c.phase = Phase::closed;
    return;
  }
  api_.shutdown(c.fd, SHUT_WR);
  c.phase = Phase::draining;
  c.deadline = now + config_.linger;
}

void Server::drain(Connection& c) {
  for (int i = 0; i < 4; ++i) {
    const ssize_t n = api_.recv(c.fd, scratch_.data(), scratch_.size(), 0);
    if (n > 0) continue;
    if (n == 0 || errno != EAGAIN) c.phase = Phase::closed;
    return;
  }
}

void Server::expire(Connection& c, SteadyTime now) {
  const auto secs = [](milliseconds d) { return static_cast<double>(d.count()) / 1000.0; };
  switch (c.phase) {
    case Phase::idle:
      if (c.fresh) {
        ++silent_timeouts_;
        spdlog::info("httpd: {}: header timeout ({} s): connected and sent nothing; closing",
                     c.peer(), secs(config_.header_timeout));
      } else {
        ++idle_timeouts_;
        spdlog::info("httpd: {}: idle timeout ({} s): closing keep-alive connection", c.peer(),
                     secs(config_.idle_timeout));
      }
      c.phase = Phase::closed;
      break;
    case Phase::head:
      // RFC 9110 15.5.9: 408 says we gave up waiting for the request.
      ++header_timeouts_;
      spdlog::warn("httpd: {}: header timeout ({} s): request head incomplete (slow client?); 408",
                   c.peer(), secs(config_.header_timeout));
      c.request_line = "-";
      respond_error(c, 408, "The request head did not arrive in time.", now, false);
      break;
    case Phase::body:
      ++body_timeouts_;
      spdlog::warn("httpd: {}: body timeout ({} s) for \"{}\"; 408", c.peer(),
                   secs(config_.idle_timeout), c.request_line);
      respond_error(c, 408, "The request body stopped arriving.", now, false);
      break;
    case Phase::writing: {
      ++send_timeouts_;
      spdlog::warn("httpd: {}: send timeout ({} s): the peer is not reading; aborting", c.peer(),
                   secs(config_.send_timeout));
      // SO_LINGER 0: reset rather than keep unsent data queued for a peer that will not read it.
      linger l{1, 0};
      api_.setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      c.phase = Phase::closed;
      break;
    }
    case Phase::draining:
      c.phase = Phase::closed;
      break;
    case Phase::closed:
      break;
  }
  pump(c, now);
}

size_t Server::buffered_bytes() const {
  // A string's small inline buffer is part of the Connection, not a heap block.
  const auto heap = [](const std::string& s) {
    return s.capacity() > std::string().capacity() ? s.capacity() : 0;
  };
  size_t n = 0;
  for (const auto& [fd, c] : conns_) {
    n += heap(c->pending) + heap(c->out) + heap(c->request_line);
    if (c->parser) n += sizeof(http::Parser);
  }
  return n;
}

void Server::count_status(unsigned status) {
  if (status >= 100 && status < 600) ++status_[status / 100];
}

CounterGroup Server::counters() const {
  CounterGroup g;
  g.name = "httpd";
  g.add("connections accepted", accepted_.load());
  g.add("connections refused with 503 (over --max-connections)", rejected_.load());
  g.add("connections open", open_.load());
  g.add("requests", requests_.load());
  for (unsigned k = 1; k <= 5; ++k)
    g.add(fmt::format("responses {}xx", k), status_[k].load());
  g.add("malformed requests", parse_errors_.load());
  g.add("header timeouts (slow request head)", header_timeouts_.load());
  g.add("header timeouts (connected, sent nothing)", silent_timeouts_.load());
  g.add("body timeouts", body_timeouts_.load());
  g.add("idle keep-alive timeouts", idle_timeouts_.load());
  g.add("send timeouts (peer not reading)", send_timeouts_.load());
  g.add("connections reset or failed", resets_.load());
  g.add("bytes sent", bytes_sent_.load());
  const FileCache& cache = responder_.file_cache();
  g.add("open-file cache hits", cache.hits());
  g.add("open-file cache misses", cache.misses());
  g.add("open-file cache entries dropped (file changed)", cache.stale());
  return g;
}

}  // namespace tundra::httpd
