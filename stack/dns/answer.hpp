// Reading a DNS response to a stub resolver's A query (RFC 1035 7.3, RFC 5452 9.1): is it ours,
// what did the server say, and which addresses the name has after its CNAME chain. Sans-I/O;
// called by the resolver's driver (apps/common/resolver.cpp) and the DNS fuzz target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stack/dns/message.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::dns {

enum class AnswerStatus {
  kNotOurs,        // not a response to this query: ignore it and keep waiting
  kAddresses,      // A records for the name (after CNAMEs): `addresses` is not empty
  kNotFound,       // NXDOMAIN, or NOERROR without an A record at the end of the chain (NODATA)
  kServerFailure,  // any other rcode (SERVFAIL, FORMERR, NOTIMP, REFUSED, …)
  kTruncated,      // TC set and no A record for the name: the full answer needs TCP
  kCnameLoop,      // the chain comes back to a name already in it, or is over the limit
};

std::string_view to_string(AnswerStatus s);

struct Answer {
  AnswerStatus status = AnswerStatus::kNotOurs;
  uint8_t rcode = 0;
  bool truncated = false;                      // TC was set
  std::string canonical;                       // the last name of the chain (lowercased)
  std::vector<std::string> cnames;             // the CNAME targets followed, in order (lowercased)
  std::vector<wire::ipv4::Address> addresses;  // the A records of `canonical`, in answer order
  uint32_t ttl = 0;                            // smallest TTL of the records used
  std::string why;                             // for kNotOurs and failures: one line
};

// RFC 5452 9.1: a response is accepted only when it is a response (QR), to a standard query,
// with our ID and exactly our question (name compared without case, type and class). The
// address and port it came from are the caller's to check.
bool is_response_to(const Message& query, const Message& response, std::string* why = nullptr);

// Classifies `response` to `query` (a query for one name, as Message::query builds). Follows at
// most `max_cnames` CNAMEs from the asked name through the answer section.
Answer read_answer(const Message& query, const Message& response, size_t max_cnames);

}  // namespace tundra::dns
