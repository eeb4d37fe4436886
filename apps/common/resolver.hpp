// Name resolution for programs on tundra: --resolve overrides, then /etc/hosts, then a DNS stub
// resolver (RFC 1035) that sends its queries over tundra's own UDP through the socket facade.
// Called by tundra-fetch (and anything else that takes a host name) on an application thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "stack/base/time.hpp"
#include "stack/socket/socket_api.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::app {

struct ResolverOptions {
  // --resolve HOST:ADDR, like curl's: answers for HOST (case-insensitive) without asking anyone.
  std::vector<std::pair<std::string, wire::ipv4::Address>> overrides;
  // --dns ADDR; when unset, the first IPv4 "nameserver" line of resolv_conf_path.
  std::optional<wire::ipv4::Address> nameserver;
  uint16_t port = 53;
  std::string hosts_path = "/etc/hosts";
  std::string resolv_conf_path = "/etc/resolv.conf";
  Duration timeout = std::chrono::seconds(2);  // per attempt
  int attempts = 3;                            // queries sent before giving up
  int max_cnames = 8;                          // CNAME chain length before giving up
  // When the nameserver comes from resolv.conf (no --dns), its "options timeout:N attempts:N"
  // replace `timeout` and `attempts`, as they would for the system's own resolver.
  bool resolv_conf_options = true;
  // A caller's overall limit (tundra-fetch's --max-time): no attempt waits past it, and none
  // starts after it; running out is kTimeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

enum class ResolveError {
  kBadName,        // not a valid host name (empty, label over 63 octets, name over 253, …)
  kNoNameserver,   // no --dns and no usable nameserver in resolv.conf
  kNotFound,       // NXDOMAIN, or an answer without an A record for the name (NODATA)
  kServerFailure,  // SERVFAIL, REFUSED, FORMERR, NOTIMP, or a malformed response
  kTruncated,      // the answer had TC set and held no usable A record (no TCP fallback)
  kCnameLoop,      // the CNAME chain loops or is longer than max_cnames
  kTimeout,        // every attempt timed out
  kSocket,         // a socket call failed (errno in ResolveFailure::sys_errno)
};

std::string_view to_string(ResolveError e);

enum class ResolveSource { kLiteral, kOverride, kHosts, kDns };

std::string_view to_string(ResolveSource s);

struct Resolution {
  std::string name;                            // as asked, lowercased
  std::string canonical;                       // after CNAMEs; == name when there were none
  std::vector<std::string> cnames;             // the chain followed, in order
  std::vector<wire::ipv4::Address> addresses;  // never empty on success
  ResolveSource source = ResolveSource::kLiteral;
  std::optional<wire::ipv4::Address> server;  // kDns: the nameserver that answered
  uint16_t query_id = 0;                      // kDns: the ID of the query answered
  uint16_t local_port = 0;                    // kDns: our UDP source port for it
  int attempts = 0;                           // kDns: queries sent
  bool truncated = false;                     // kDns: TC was set (addresses still usable)
  uint32_t ttl = 0;                           // kDns: smallest TTL in the chain
  Duration elapsed{};                         // from call to answer
};

struct ResolveFailure {
  ResolveError error;
  std::string detail;  // one line for the user: what was asked of whom, and what came back
  int sys_errno = 0;
};

// Resolves `host` to IPv4 addresses. An IPv4 literal comes back at once (kLiteral). Blocks the
// calling thread for at most attempts × timeout. Random query IDs and source ports (RFC 5452).
Result<Resolution, ResolveFailure> resolve(sock::SocketApi& api, std::string_view host,
                                           const ResolverOptions& options);

}  // namespace tundra::app
