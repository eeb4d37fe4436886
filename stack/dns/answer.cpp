// A stub resolver's reading of a response: the RFC 5452 match, the rcode, the CNAME chain
// (RFC 1034 3.6.2, 5.2.2) and the A records at its end.
#include "stack/dns/answer.hpp"

#include <algorithm>

#include "stack/dns/name.hpp"

namespace tundra::dns {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Answer failed(AnswerStatus status, const Message& response, std::string why) {
  Answer a;
  a.status = status;
  a.rcode = response.header.rcode;
  a.truncated = response.header.tc;
  a.why = std::move(why);
  return a;
}

}  // namespace

std::string_view to_string(AnswerStatus s) {
  switch (s) {
    case AnswerStatus::kNotOurs:
      return "not ours";
    case AnswerStatus::kAddresses:
      return "addresses";
    case AnswerStatus::kNotFound:
      return "not found";
    case AnswerStatus::kServerFailure:
      return "server failure";
    case AnswerStatus::kTruncated:
      return "truncated";
    case AnswerStatus::kCnameLoop:
      return "CNAME loop";
  }
  return "?";
}

bool is_response_to(const Message& query, const Message& response, std::string* why) {
  auto no = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  if (!response.header.qr) return no("QR is clear: a query, not a response");
  if (response.header.id != query.header.id)
    return no("ID " + std::to_string(response.header.id) + " is not ours (" +
              std::to_string(query.header.id) + ")");
  if (response.header.opcode != query.header.opcode) return no("opcode differs from the query's");
  if (query.questions.size() != 1 || response.questions.size() != 1)
    return no("question count " + std::to_string(response.questions.size()) + ", not 1");
  const Question& q = query.questions.front();
  const Question& r = response.questions.front();
  if (r.type != q.type || r.klass != q.klass || !names_equal(r.name, q.name))
    return no("question '" + r.name + "' type " + std::to_string(r.type) + " class " +
              std::to_string(r.klass) + " is not ours");
  return true;
}

Answer read_answer(const Message& query, const Message& response, size_t max_cnames) {
  std::string why;
  if (!is_response_to(query, response, &why)) return failed(AnswerStatus::kNotOurs, response, why);

  // RFC 1035 4.1.1: rcode 3 is "Name Error"; every rcode but 0 and 3 says the server could not
  // give an answer, whatever the reason.
  switch (response.header.rcode) {
    case rcode::kNoError:
      break;
    case rcode::kNxDomain:
      return failed(AnswerStatus::kNotFound, response, "NXDOMAIN");
    case rcode::kServFail:
      return failed(AnswerStatus::kServerFailure, response, "SERVFAIL");
    case rcode::kFormErr:
      return failed(AnswerStatus::kServerFailure, response, "FORMERR");
    case rcode::kNotImp:
      return failed(AnswerStatus::kServerFailure, response, "NOTIMP");
    case rcode::kRefused:
      return failed(AnswerStatus::kServerFailure, response, "REFUSED");
    default:
      return failed(AnswerStatus::kServerFailure, response,
                    "rcode " + std::to_string(response.header.rcode));
  }

  // RFC 1034 5.2.2: the answer to a query for an alias holds the CNAME and then, from a
  // recursive server, the records of the canonical name. Follow the chain from the asked name,
  // taking only records whose owner is the name we are at; anything else in the section is
  // not evidence about our name.
  const Question& q = query.questions.front();
  Answer a;
  a.rcode = response.header.rcode;
  a.truncated = response.header.tc;
  a.canonical = lowercase(q.name);
  bool have_ttl = false;
  auto take_ttl = [&](uint32_t ttl) {
    a.ttl = have_ttl ? std::min(a.ttl, ttl) : ttl;
    have_ttl = true;
  };
  for (;;) {
    uint32_t a_ttl = 0;
    bool first = true;
    for (const Record& r : response.answers) {
      if (r.type != q.type || r.klass != q.klass || !r.a || !names_equal(r.name, a.canonical))
        continue;
      a.addresses.push_back(*r.a);
      a_ttl = first ? r.ttl : std::min(a_ttl, r.ttl);
      first = false;
    }
    if (!a.addresses.empty()) {
      take_ttl(a_ttl);
      a.status = AnswerStatus::kAddresses;
      return a;
    }
    auto cname = std::find_if(response.answers.begin(), response.answers.end(), [&](auto& r) {
      return r.type == type::kCname && r.klass == q.klass && names_equal(r.name, a.canonical);
    });
    if (cname == response.answers.end()) break;
    std::string target = lowercase(cname->cname);
    const bool seen = names_equal(target, q.name) ||
                      std::any_of(a.cnames.begin(), a.cnames.end(),
                                  [&](const std::string& n) { return names_equal(n, target); });
    if (seen) {
      Answer loop = failed(AnswerStatus::kCnameLoop, response, "CNAME loop at '" + target + "'");
      loop.cnames = std::move(a.cnames);
      loop.cnames.push_back(std::move(target));
      return loop;
    }
    if (a.cnames.size() >= max_cnames) {
      Answer longer = failed(AnswerStatus::kCnameLoop, response,
                             "CNAME chain longer than " + std::to_string(max_cnames));
      longer.cnames = std::move(a.cnames);
      return longer;
    }
    take_ttl(cname->ttl);
    a.cnames.push_back(target);
    a.canonical = std::move(target);
  }

  // RFC 2308 2.2: NOERROR without the data asked for is NODATA, which a stub reports as "no
  // such address". With TC set, the missing records may just not have fit.
  if (response.header.tc) {
    Answer t = failed(AnswerStatus::kTruncated, response, "TC set and no A record in what fit");
    t.cnames = std::move(a.cnames);
    t.canonical = std::move(a.canonical);
    return t;
  }
  Answer nodata =
      failed(AnswerStatus::kNotFound, response, "no A record for '" + a.canonical + "' (NODATA)");
  nodata.cnames = std::move(a.cnames);
  nodata.canonical = std::move(a.canonical);
  return nodata;
}

}  // namespace tundra::dns
