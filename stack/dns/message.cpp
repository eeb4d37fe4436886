// Parsing and emitting DNS messages (RFC 1035 4.1); the resolver builds queries and reads answers.
#include "stack/dns/message.hpp"

#include <array>

#include "stack/dns/name.hpp"
#include "stack/wire/field.hpp"

namespace tundra::dns {
namespace {

// RFC 1035 4.1.1 header field offsets.
constexpr size_t kId = 0, kFlags = 2, kQdCount = 4, kAnCount = 6, kNsCount = 8, kArCount = 10;
// A record's fixed part after its name: type, class, ttl, rdlength (RFC 1035 4.1.3).
constexpr size_t kRecordFixed = 10;

Result<Question, DnsError> parse_question(std::span<const std::byte> msg, size_t& pos) {
  auto name = decode_name(msg, pos, DnsError::kTruncatedQuestion);
  if (!name) return Err{name.error()};
  pos = name->end;
  if (pos + 4 > msg.size()) return Err{DnsError::kTruncatedQuestion};
  Question q{std::move(name->text), wire::get16(msg.data(), pos), wire::get16(msg.data(), pos + 2)};
  pos += 4;
  return q;
}

Result<Record, DnsError> parse_record(std::span<const std::byte> msg, size_t& pos) {
  auto name = decode_name(msg, pos, DnsError::kTruncatedRecord);
  if (!name) return Err{name.error()};
  pos = name->end;
  if (pos + kRecordFixed > msg.size()) return Err{DnsError::kTruncatedRecord};
  Record r;
  r.name = std::move(name->text);
  r.type = wire::get16(msg.data(), pos);
  r.klass = wire::get16(msg.data(), pos + 2);
  r.ttl = wire::get32(msg.data(), pos + 4);
  size_t rdlength = wire::get16(msg.data(), pos + 8);
  pos += kRecordFixed;
  if (pos + rdlength > msg.size()) return Err{DnsError::kRdataBeyondMessage};
  auto rdata = msg.subspan(pos, rdlength);
  r.rdata.assign(rdata.begin(), rdata.end());
  if (r.type == type::kA && r.klass == kClassIn) {  // RFC 1035 3.4.1: a 32-bit address
    if (rdlength != 4) return Err{DnsError::kBadARdlength};
    r.a = wire::ipv4::Address::from_bytes(rdata.first<4>());
  } else if (r.type == type::kCname) {  // RFC 1035 3.3.1: one name, possibly compressed
    // The name may point back into the message but must end exactly where the rdata does.
    auto cname = decode_name(msg.first(pos + rdlength), pos, DnsError::kBadCname);
    if (!cname) return Err{cname.error()};
    if (cname->end != pos + rdlength) return Err{DnsError::kBadCname};
    r.cname = std::move(cname->text);
  }
  pos += rdlength;
  return r;
}

void put16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xff));
}
void put32(std::vector<std::byte>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}
bool put_name(std::vector<std::byte>& out, std::string_view name) {
  auto wire_name = encode_name(name);
  if (!wire_name) return false;
  out.insert(out.end(), wire_name->begin(), wire_name->end());
  return true;
}

bool put_record(std::vector<std::byte>& out, const Record& r) {
  if (!put_name(out, r.name)) return false;
  put16(out, r.type);
  put16(out, r.klass);
  put32(out, r.ttl);
  size_t rdlength_at = out.size();
  put16(out, 0);
  if (r.a) {
    std::array<std::byte, 4> b;
    r.a->to_bytes(b);
    out.insert(out.end(), b.begin(), b.end());
  } else if (r.type == type::kCname) {
    if (!put_name(out, r.cname)) return false;
  } else {
    out.insert(out.end(), r.rdata.begin(), r.rdata.end());
  }
  size_t rdlength = out.size() - rdlength_at - 2;
  if (rdlength > 0xffff) return false;
  wire::set16(out.data(), rdlength_at, static_cast<uint16_t>(rdlength));
  return true;
}

}  // namespace

Result<Message, DnsError> Message::parse(std::span<const std::byte> bytes) {
  if (bytes.size() < kHeaderLen) return Err{DnsError::kTruncatedHeader};
  const std::byte* p = bytes.data();
  Message m;
  m.header.id = wire::get16(p, kId);
  uint16_t flags = wire::get16(p, kFlags);  // RFC 1035 4.1.1: QR Opcode AA TC RD RA Z RCODE
  m.header.qr = flags & 0x8000;
  m.header.opcode = static_cast<uint8_t>(flags >> 11 & 0xf);
  m.header.aa = flags & 0x0400;
  m.header.tc = flags & 0x0200;
  m.header.rd = flags & 0x0100;
  m.header.ra = flags & 0x0080;
  m.header.z = static_cast<uint8_t>(flags >> 4 & 0x7);
  m.header.rcode = static_cast<uint8_t>(flags & 0xf);

  // Counts are not trusted for allocation: each entry must be read from bytes that exist.
  size_t pos = kHeaderLen;
  for (uint16_t i = 0, n = wire::get16(p, kQdCount); i < n; ++i) {
    auto q = parse_question(bytes, pos);
    if (!q) return Err{q.error()};
    m.questions.push_back(std::move(*q));
  }
  for (auto [count_at, section] :
       {std::pair{kAnCount, &m.answers}, std::pair{kNsCount, &m.authority},
        std::pair{kArCount, &m.additional}}) {
    for (uint16_t i = 0, n = wire::get16(p, count_at); i < n; ++i) {
      auto r = parse_record(bytes, pos);
      if (!r) return Err{r.error()};
      section->push_back(std::move(*r));
    }
  }
  return m;
}

std::vector<std::byte> Message::emit() const {
  std::vector<std::byte> out;
  if (questions.size() > 0xffff || answers.size() > 0xffff || authority.size() > 0xffff ||
      additional.size() > 0xffff)
    return {};
  put16(out, header.id);
  uint16_t flags = static_cast<uint16_t>((header.qr ? 0x8000 : 0) | (header.opcode & 0xf) << 11 |
                                         (header.aa ? 0x0400 : 0) | (header.tc ? 0x0200 : 0) |
                                         (header.rd ? 0x0100 : 0) | (header.ra ? 0x0080 : 0) |
                                         (header.z & 0x7) << 4 | (header.rcode & 0xf));
  put16(out, flags);
  put16(out, static_cast<uint16_t>(questions.size()));
  put16(out, static_cast<uint16_t>(answers.size()));
  put16(out, static_cast<uint16_t>(authority.size()));
  put16(out, static_cast<uint16_t>(additional.size()));
  for (const Question& q : questions) {
    if (!put_name(out, q.name)) return {};
    put16(out, q.type);
    put16(out, q.klass);
  }
  for (const auto* section : {&answers, &authority, &additional})
    for (const Record& r : *section)
      if (!put_record(out, r)) return {};
  return out;
}

Result<Message, DnsError> Message::query(uint16_t id, std::string_view name, uint16_t qtype) {
  if (auto wire_name = encode_name(name); !wire_name) return Err{wire_name.error()};
  Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back(Question{std::string(name), qtype, kClassIn});
  return m;
}

}  // namespace tundra::dns
