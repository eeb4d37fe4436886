// The resolver's driver: overrides, the hosts file, then DNS queries over tundra's UDP through the
// socket facade, with retries and the RFC 5452 checks. The sans-I/O parts live in stack/dns/.
#include "apps/common/resolver.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "apps/common/sockets.hpp"
#include "stack/dns/answer.hpp"
#include "stack/dns/hosts.hpp"
#include "stack/dns/message.hpp"
#include "stack/dns/resolv_conf.hpp"

namespace tundra::app {
namespace {

using Clock = std::chrono::steady_clock;
using Fail = Err<ResolveFailure>;

constexpr size_t kMaxHostName = 253;  // RFC 1035 2.3.4: 255 octets on the wire, 253 as text
constexpr size_t kMaxLabel = 63;
constexpr int kBindTries = 16;
// The largest UDP payload an IPv4 datagram can carry: nothing that arrives is cut short.
constexpr size_t kReceiveBuffer = 65535;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// RFC 1123 2.1 host names (letters, digits, '-'), plus '_' which real names carry; labels of 1 to
// 63 octets, 253 in all, one trailing '.' allowed. Returns why not, or "" when it is fine.
std::string bad_name_reason(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "empty host name";
  if (name.size() > kMaxHostName) return "host name longer than 253 characters";
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return "empty label in host name";
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return "character '" + std::string(1, c) + "' not allowed in a host name";
    if (++label > kMaxLabel) return "label longer than 63 characters in host name";
  }
  return "";
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// RFC 5452 4, 9.2: IDs and ports as unpredictable as we can make them. One generator per thread,
// seeded from the system's entropy once.
std::mt19937& generator() {
  thread_local std::mt19937 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937(seq);
  }();
  return gen;
}

uint16_t random_u16(uint16_t lo, uint16_t hi) {
  return static_cast<uint16_t>(std::uniform_int_distribution<unsigned>(lo, hi)(generator()));
}

// Closes the query socket on every way out of resolve().
class SocketGuard {
 public:
  SocketGuard(sock::SocketApi& api, int fd) : api_(api), fd_(fd) {}
  ~SocketGuard() { api_.close(fd_); }
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;

 private:
  sock::SocketApi& api_;
  int fd_;
};

const sockaddr* as_sockaddr(const sockaddr_in& s) {
  return reinterpret_cast<const sockaddr*>(&s);
}

ResolveFailure socket_failure(std::string what, int err) {
  return ResolveFailure{ResolveError::kSocket, what + ": " + std::strerror(err), err};
}

Duration since(Clock::time_point start) {
  return std::chrono::duration_cast<Duration>(Clock::now() - start);
}

struct Server {
  wire::ipv4::Address address;
  uint16_t port;
  std::string text() const { return address.to_string() + ":" + std::to_string(port); }
};

// The query's socket: UDP on a random port, retried while the port is taken.
Result<int, ResolveFailure> open_socket(sock::SocketApi& api, uint16_t& port) {
  const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return Fail{socket_failure("socket", errno)};
  for (int i = 0; i < kBindTries; ++i) {
    port = random_u16(1024, 65535);
    const sockaddr_in local = ipv4_sockaddr(wire::ipv4::Address{}, port);
    if (api.bind(fd, as_sockaddr(local), sizeof local) == 0) return fd;
    const int err = errno;
    if (err == EADDRINUSE) continue;
    api.close(fd);
    return Fail{socket_failure("bind to port " + std::to_string(port), err)};
  }
  api.close(fd);
  return Fail{socket_failure(std::to_string(kBindTries) + " random ports", EADDRINUSE)};
}

Result<Resolution, ResolveFailure> ask_dns(sock::SocketApi& api, const std::string& name,
                                           const Server& server, Duration timeout, int attempts,
                                           size_t max_cnames, Resolution r, Clock::time_point start,
                                           std::optional<Clock::time_point> overall) {
  uint16_t local_port = 0;
  auto opened = open_socket(api, local_port);
  if (!opened) return Fail{opened.error()};
  const int fd = *opened;
  SocketGuard guard(api, fd);
  r.source = ResolveSource::kDns;
  r.server = server.address;
  r.local_port = local_port;

  const sockaddr_in to = ipv4_sockaddr(server.address, server.port);
  std::vector<std::byte> buf(kReceiveBuffer);
  auto fail = [&](ResolveError e, const std::string& what) {
    return Fail{ResolveFailure{e, name + ": " + what + " (from " + server.text() + ")", 0}};
  };
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (overall && Clock::now() >= *overall) break;  // the caller's time is up
    // RFC 5452 9.2: a fresh ID for every query sent, so a late answer to an earlier attempt is
    // not mistaken for one to this (it would be equally right, but unprovably so).
    const uint16_t id = random_u16(0, 0xffff);
    auto query = dns::Message::query(id, name);
    if (!query) return Fail{ResolveFailure{ResolveError::kBadName, name + ": cannot be encoded"}};
    const std::vector<std::byte> out = query->emit();
    if (api.sendto(fd, out.data(), out.size(), 0, as_sockaddr(to), sizeof to) < 0)
      return Fail{socket_failure("sendto " + server.text(), errno)};
    r.attempts = attempt;
    spdlog::debug("resolver: query {} A id {} to {} from port {} (attempt {}/{})", name, id,
                  server.text(), local_port, attempt, attempts);

    auto deadline = Clock::now() + timeout;
    if (overall && *overall < deadline) deadline = *overall;
    for (;;) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) break;
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      pollfd p{fd, POLLIN, 0};
      const int ready = api.poll(&p, 1, static_cast<int>(ms));
      if (ready < 0) {
        if (errno == EINTR) continue;
        return Fail{socket_failure("poll", errno)};
      }
      if (ready == 0) continue;  // the loop's test of the deadline ends the attempt
      sockaddr_in from{};
      socklen_t from_len = sizeof from;
      const ssize_t n = api.recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return Fail{socket_failure("recvfrom", errno)};
      }
      const Server sender{wire::ipv4::Address(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port)};
      // RFC 5452 9.1: only the address and port we asked may answer.
      if (sender.address != server.address || sender.port != server.port) {
        spdlog::debug("resolver: ignored {} bytes from {}: not the server asked", n, sender.text());
        continue;
      }
      const std::span<const std::byte> datagram(buf.data(), static_cast<size_t>(n));
      auto response = dns::Message::parse(datagram);
      if (!response) {
        // Garbage with our ID is the server's answer, broken; anything else may be noise.
        const bool ours = n >= 2 && (std::to_integer<unsigned>(datagram[0]) << 8 |
                                     std::to_integer<unsigned>(datagram[1])) == id;
        if (ours)
          return fail(ResolveError::kServerFailure,
                      "malformed response (" + std::string(dns::to_string(response.error())) + ")");
        spdlog::debug("resolver: ignored a malformed datagram from {} ({})", sender.text(),
                      dns::to_string(response.error()));
        continue;
      }
      const dns::Answer answer = dns::read_answer(*query, *response, max_cnames);
      switch (answer.status) {
        case dns::AnswerStatus::kNotOurs:
          spdlog::debug("resolver: ignored a response from {}: {}", sender.text(), answer.why);
          continue;
        case dns::AnswerStatus::kAddresses:
          if (!answer.cnames.empty()) r.canonical = answer.canonical;
          r.cnames = answer.cnames;
          r.addresses = answer.addresses;
          r.query_id = id;
          r.truncated = answer.truncated;
          r.ttl = answer.ttl;
          r.elapsed = since(start);
          return r;
        case dns::AnswerStatus::kNotFound:
          return fail(ResolveError::kNotFound, answer.why);
        case dns::AnswerStatus::kServerFailure:
          return fail(ResolveError::kServerFailure, answer.why);
        case dns::AnswerStatus::kTruncated:
          return fail(ResolveError::kTruncated, answer.why);
        case dns::AnswerStatus::kCnameLoop:
          return fail(ResolveError::kCnameLoop, answer.why);
      }
    }
    spdlog::debug("resolver: no answer to id {} within {} ms", id,
                  std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  }
  return Fail{ResolveFailure{
      ResolveError::kTimeout,
      name + ": no answer from " + server.text() + " after " + std::to_string(r.attempts) +
          (r.attempts == 1 ? " attempt" : " attempts") + " of " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
          " ms",
      0}};
}

}  // namespace

std::string_view to_string(ResolveError e) {
  switch (e) {
    case ResolveError::kBadName:
      return "bad host name";
    case ResolveError::kNoNameserver:
      return "no nameserver";
    case ResolveError::kNotFound:
      return "not found";
    case ResolveError::kServerFailure:
      return "server failure";
    case ResolveError::kTruncated:
      return "truncated answer";
    case ResolveError::kCnameLoop:
      return "CNAME loop";
    case ResolveError::kTimeout:
      return "timed out";
    case ResolveError::kSocket:
      return "socket error";
  }
  return "?";
}

std::string_view to_string(ResolveSource s) {
  switch (s) {
    case ResolveSource::kLiteral:
      return "literal";
    case ResolveSource::kOverride:
      return "override";
    case ResolveSource::kHosts:
      return "hosts";
    case ResolveSource::kDns:
      return "dns";
  }
  return "?";
}

Result<Resolution, ResolveFailure> resolve(sock::SocketApi& api, std::string_view host,
                                           const ResolverOptions& options) {
  const auto start = Clock::now();
  Resolution r;
  r.name = lowercase(host);
  r.canonical = r.name;
  auto done = [&](ResolveSource source, std::vector<wire::ipv4::Address> addresses) {
    r.source = source;
    r.addresses = std::move(addresses);
    r.elapsed = since(start);
    return Result<Resolution, ResolveFailure>(std::move(r));
  };

  if (auto literal = wire::ipv4::Address::parse(host))
    return done(ResolveSource::kLiteral, {*literal});
  if (auto why = bad_name_reason(host); !why.empty())
    return Fail{ResolveFailure{ResolveError::kBadName, "'" + std::string(host) + "': " + why, 0}};
  std::string name = r.name;
  if (name.back() == '.') name.pop_back();

  // curl's --resolve: every override for the name, in the order given.
  std::vector<wire::ipv4::Address> found;
  for (const auto& [h, a] : options.overrides)
    if (dns::host_names_equal(h, name)) found.push_back(a);
  if (!found.empty()) return done(ResolveSource::kOverride, std::move(found));

  if (auto text = read_file(options.hosts_path)) {
    found = dns::HostsFile::parse(*text).lookup(name);
    if (!found.empty()) return done(ResolveSource::kHosts, std::move(found));
  } else {
    spdlog::debug("resolver: no hosts file at {}", options.hosts_path);
  }

  Duration timeout = options.timeout;
  int attempts = options.attempts;
  std::optional<wire::ipv4::Address> nameserver = options.nameserver;
  if (!nameserver) {
    const auto text = read_file(options.resolv_conf_path);
    if (!text)
      return Fail{ResolveFailure{ResolveError::kNoNameserver,
                                 "no nameserver for '" + name + "': no --dns and " +
                                     options.resolv_conf_path + " cannot be read",
                                 0}};
    const dns::ResolvConf conf = dns::ResolvConf::parse(*text);
    if (conf.nameservers.empty())
      return Fail{ResolveFailure{ResolveError::kNoNameserver,
                                 "no nameserver for '" + name + "': no --dns and no IPv4 " +
                                     "nameserver line in " + options.resolv_conf_path,
                                 0}};
    nameserver = conf.nameservers.front();
    if (options.resolv_conf_options) {
      timeout = conf.timeout.value_or(timeout);
      attempts = conf.attempts.value_or(attempts);
    }
  }
  attempts = std::max(attempts, 1);
  timeout = std::max(timeout, Duration(std::chrono::milliseconds(1)));
  return ask_dns(api, name, Server{*nameserver, options.port}, timeout, attempts,
                 static_cast<size_t>(std::max(options.max_cnames, 0)), std::move(r), start,
                 options.deadline);
}

}  // namespace tundra::app
