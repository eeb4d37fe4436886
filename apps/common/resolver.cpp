// TEMPORARY stub of resolver.hpp so tundra-fetch builds on its own branch: IPv4 literals and
// --resolve overrides only. The real resolver (hosts file, DNS over UDP) replaces this at merge.
#include "apps/common/resolver.hpp"

#include <algorithm>
#include <chrono>

namespace tundra::app {

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
      return "truncated";
    case ResolveError::kCnameLoop:
      return "CNAME loop";
    case ResolveError::kTimeout:
      return "timed out";
    case ResolveError::kSocket:
      return "socket error";
  }
  return "unknown";
}

std::string_view to_string(ResolveSource s) {
  switch (s) {
    case ResolveSource::kLiteral:
      return "literal";
    case ResolveSource::kOverride:
      return "--resolve";
    case ResolveSource::kHosts:
      return "hosts file";
    case ResolveSource::kDns:
      return "DNS";
  }
  return "unknown";
}

Result<Resolution, ResolveFailure> resolve(sock::SocketApi&, std::string_view host,
                                           const ResolverOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::string name(host);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  Resolution r;
  r.name = name;
  r.canonical = name;
  if (auto a = wire::ipv4::Address::parse(name)) {
    r.addresses.push_back(*a);
    r.source = ResolveSource::kLiteral;
  } else {
    for (const auto& [h, addr] : options.overrides) {
      std::string lower(h);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
      if (lower == name) r.addresses.push_back(addr);
    }
    if (r.addresses.empty())
      return Err{ResolveFailure{ResolveError::kNoNameserver,
                                "stub resolver: only IPv4 literals and --resolve", 0}};
    r.source = ResolveSource::kOverride;
  }
  r.elapsed = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
  return r;
}

}  // namespace tundra::app
