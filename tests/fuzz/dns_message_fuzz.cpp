// libFuzzer target for DNS messages (stack/dns): every input is a datagram given to
// Message::parse. What parses must emit, and the emitted form must parse back to the same message
// and emit to the same bytes again; the stub resolver's answer reader then runs over it, against
// the query the message itself asks and against a fixed one, and its verdict must be coherent.
//
// What must hold after a round trip, and what need not: emit() writes names uncompressed, so a
// CNAME's rdata (kept as received, pointers and all) changes while its decoded target does not.
// Other rdata is opaque and copied as is, even when it holds compression pointers (NS, MX, …):
// after the round trip they point elsewhere, but nothing reads them. Trailing bytes are dropped.
#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/dns/answer.hpp"
#include "stack/dns/message.hpp"
#include "violated.hpp"

namespace {

using namespace tundra;

using fuzz::violated;

// The message with what a round trip may change taken out: CNAME rdata.
dns::Message comparable(dns::Message m) {
  for (auto* section : {&m.answers, &m.authority, &m.additional})
    for (dns::Record& r : *section)
      if (r.type == dns::type::kCname) r.rdata.clear();
  return m;
}

void check_answer(const dns::Message& query, const dns::Message& response, size_t max_cnames) {
  const dns::Answer a = dns::read_answer(query, response, max_cnames);
  const bool ours = dns::is_response_to(query, response);
  if (ours != (a.status != dns::AnswerStatus::kNotOurs)) violated("read_answer disagrees on match");
  if ((a.status == dns::AnswerStatus::kAddresses) == a.addresses.empty())
    violated("addresses present exactly when the status says so");
  if (a.cnames.size() > max_cnames + 1) violated("CNAME chain longer than the limit");
  if (a.status == dns::AnswerStatus::kAddresses) {
    if (a.cnames.size() > max_cnames) violated("success past the CNAME limit");
    if (!a.cnames.empty() && a.canonical != a.cnames.back()) violated("canonical is not the end");
    if (a.truncated != response.header.tc) violated("TC not reported");
  }
  if (a.status == dns::AnswerStatus::kTruncated && !response.header.tc)
    violated("truncated without TC");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  auto parsed = dns::Message::parse(input);
  if (!parsed) return 0;

  // Every name parse() produced encodes (it came from at most 255 wire octets), every count came
  // from a 16-bit field and every rdata from a 16-bit length: emit cannot fail.
  const std::vector<std::byte> emitted = parsed->emit();
  if (emitted.empty()) violated("emit failed on a parsed message");
  auto again = dns::Message::parse(emitted);
  if (!again) violated("the emitted message does not parse");
  if (!(comparable(*again) == comparable(*parsed))) violated("round trip changed the message");
  if (again->emit() != emitted) violated("emit is not stable");

  // The answer reader, against the question the message carries and against an unrelated one.
  if (parsed->questions.size() == 1) {
    const dns::Question& q = parsed->questions.front();
    if (auto query = dns::Message::query(parsed->header.id, q.name, q.type)) {
      if (q.klass == dns::kClassIn && parsed->header.qr && parsed->header.opcode == 0 &&
          !dns::is_response_to(*query, *parsed))
        violated("a response to its own question is not recognised");
      check_answer(*query, *parsed, 8);
      check_answer(*query, *parsed, 0);
    }
  }
  if (auto other = dns::Message::query(parsed->header.id, "www.example.com"))
    check_answer(*other, *parsed, 2);
  return 0;
}
