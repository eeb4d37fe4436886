// DNS messages (RFC 1035 4.1): a query checked byte by byte, a compressed response, round trips,
// every malformed shape, and random bytes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "stack/dns/message.hpp"
#include "stack/dns/name.hpp"

namespace tundra::dns {
namespace {

using Bytes = std::vector<std::byte>;

// Writes DNS bytes by hand: numbers big-endian, labels with their length, pointers.
struct Builder {
  Bytes b;
  Builder& u8(unsigned v) {
    b.push_back(static_cast<std::byte>(v));
    return *this;
  }
  Builder& u16(unsigned v) { return u8(v >> 8 & 0xff).u8(v & 0xff); }
  Builder& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Builder& label(std::string_view s) {
    u8(static_cast<unsigned>(s.size()));
    for (char c : s)
      u8(static_cast<unsigned char>(c));
    return *this;
  }
  Builder& name(std::string_view dotted) {  // uncompressed, with the root
    size_t start = 0;
    while (start < dotted.size()) {
      size_t dot = dotted.find('.', start);
      if (dot == std::string_view::npos) dot = dotted.size();
      label(dotted.substr(start, dot - start));
      start = dot + 1;
    }
    return u8(0);
  }
  Builder& ptr(unsigned offset) { return u16(0xc000 | offset); }
  Builder& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns = 0,
                  unsigned ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  size_t size() const { return b.size(); }
};

DnsError parse_error(const Bytes& b) {
  auto r = Message::parse(b);
  EXPECT_FALSE(r.ok());
  return r.ok() ? DnsError::kBadNameText : r.error();
}

TEST(DnsMessage, QueryBytesByHand) {
  auto q = Message::query(0x1234, "example.com");
  ASSERT_TRUE(q.ok());
  Bytes want = Builder{}
                   .u16(0x1234)
                   .u16(0x0100)  // RD only
                   .u16(1)
                   .u16(0)
                   .u16(0)
                   .u16(0)
                   .u8(7)
                   .u8('e')
                   .u8('x')
                   .u8('a')
                   .u8('m')
                   .u8('p')
                   .u8('l')
                   .u8('e')
                   .u8(3)
                   .u8('c')
                   .u8('o')
                   .u8('m')
                   .u8(0)
                   .u16(1)
                   .u16(1)  // A, IN
                   .b;
  EXPECT_EQ(q->emit(), want);
  EXPECT_EQ(want.size(), 29u);

  auto aaaa = Message::query(7, "Example.COM.", type::kAaaa);
  ASSERT_TRUE(aaaa.ok());
  Bytes bytes = aaaa->emit();
  EXPECT_EQ(bytes[bytes.size() - 3], std::byte{28});
  auto back = Message::parse(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->questions[0].name, "Example.COM");  // case kept, trailing dot gone
  EXPECT_TRUE(back->header.rd);
  EXPECT_FALSE(back->header.qr);
}

TEST(DnsMessage, QueryRefusesBadNames) {
  EXPECT_EQ(Message::query(1, std::string(64, 'a') + ".com").error(), DnsError::kLabelTooLong);
  EXPECT_TRUE(Message::query(1, std::string(63, 'a') + ".com").ok());
  EXPECT_EQ(Message::query(1, "a..com").error(), DnsError::kBadNameText);
  EXPECT_EQ(Message::query(1, ".com").error(), DnsError::kBadNameText);
  std::string long_name;
  for (int i = 0; i < 4; ++i)
    long_name += std::string(63, 'x') + ".";
  EXPECT_EQ(Message::query(1, long_name).error(), DnsError::kNameTooLong);
}

// www.example.com CNAME web.example.com CNAME cdn-1.net, which has two A records; names after the
// question are pointers, as real servers write them.
Bytes cname_chain_response() {
  Builder m;
  m.header(0xbeef, 0x8180, 1, 4);  // QR RD RA, NOERROR
  EXPECT_EQ(m.size(), 12u);
  m.name("www.example.com").u16(type::kA).u16(kClassIn);  // example at 16
  EXPECT_EQ(m.size(), 33u);
  m.ptr(12).u16(type::kCname).u16(kClassIn).u32(300).u16(6).label("web").ptr(16);  // web at 45
  EXPECT_EQ(m.size(), 51u);
  m.ptr(45).u16(type::kCname).u16(kClassIn).u32(60).u16(11).name("cdn-1.net");  // cdn-1 at 63
  EXPECT_EQ(m.size(), 74u);
  m.ptr(63).u16(type::kA).u16(kClassIn).u32(30).u16(4).u8(93).u8(184).u8(216).u8(34);
  m.ptr(63).u16(type::kA).u16(kClassIn).u32(30).u16(4).u8(10).u8(0).u8(0).u8(7);
  return m.b;
}

TEST(DnsMessage, ParsesCompressedCnameChain) {
  auto r = Message::parse(cname_chain_response());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  const Message& m = *r;
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ra);
  EXPECT_FALSE(m.header.aa);
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.header.rcode, rcode::kNoError);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0], (Question{"www.example.com", type::kA, kClassIn}));
  ASSERT_EQ(m.answers.size(), 4u);
  EXPECT_TRUE(m.authority.empty());
  EXPECT_TRUE(m.additional.empty());

  EXPECT_EQ(m.answers[0].name, "www.example.com");
  EXPECT_EQ(m.answers[0].type, type::kCname);
  EXPECT_EQ(m.answers[0].ttl, 300u);
  EXPECT_EQ(m.answers[0].cname, "web.example.com");
  EXPECT_EQ(m.answers[0].rdata.size(), 6u);  // as received, pointer included
  EXPECT_FALSE(m.answers[0].a);

  EXPECT_EQ(m.answers[1].name, "web.example.com");
  EXPECT_EQ(m.answers[1].cname, "cdn-1.net");
  EXPECT_EQ(m.answers[1].ttl, 60u);

  EXPECT_EQ(m.answers[2].name, "cdn-1.net");
  EXPECT_EQ(m.answers[2].type, type::kA);
  EXPECT_EQ(m.answers[2].a, wire::ipv4::Address(93, 184, 216, 34));
  EXPECT_EQ(m.answers[3].a, wire::ipv4::Address(10, 0, 0, 7));
  EXPECT_TRUE(m.answers[2].cname.empty());

  // Following the chain the way the resolver will, names compared without case.
  std::string want = "WWW.Example.com.";
  for (const Record& rec : m.answers)
    if (rec.type == type::kCname && names_equal(rec.name, want)) want = rec.cname;
  EXPECT_EQ(want, "cdn-1.net");
  std::vector<wire::ipv4::Address> addrs;
  for (const Record& rec : m.answers)
    if (rec.a && names_equal(rec.name, want)) addrs.push_back(*rec.a);
  EXPECT_EQ(addrs.size(), 2u);
}

TEST(DnsMessage, RoundTripsUncompressed) {
  auto first = Message::parse(cname_chain_response());
  ASSERT_TRUE(first.ok());
  Bytes emitted = first->emit();
  ASSERT_FALSE(emitted.empty());
  auto second = Message::parse(emitted);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->header, first->header);
  EXPECT_EQ(second->questions, first->questions);
  ASSERT_EQ(second->answers.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(second->answers[i].name, first->answers[i].name);
    EXPECT_EQ(second->answers[i].cname, first->answers[i].cname);
    EXPECT_EQ(second->answers[i].a, first->answers[i].a);
  }
  // Uncompressed bytes are a fixed point.
  EXPECT_EQ(second->emit(), emitted);
}

TEST(DnsMessage, RoundTripsEveryHeaderBitAndOtherRecords) {
  Message m;
  m.header = Header{.id = 0xffff,
                    .qr = true,
                    .opcode = 0xf,
                    .aa = true,
                    .tc = true,
                    .rd = true,
                    .ra = true,
                    .z = 0x7,
                    .rcode = rcode::kNxDomain};
  m.questions.push_back({"a.b", type::kMx, kClassIn});
  Record txt{.name = "t.a.b", .type = type::kTxt, .klass = kClassIn, .ttl = 0xffffffff};
  txt.rdata = Builder{}.label("hello").b;
  m.answers.push_back(txt);
  Record ns{.name = "", .type = type::kNs, .klass = kClassIn, .ttl = 1};
  ns.rdata = Builder{}.name("ns.a.b").b;
  m.authority.push_back(ns);
  Record a{.name = "ns.a.b", .type = type::kA, .klass = kClassIn, .ttl = 2};
  a.a = wire::ipv4::Address(192, 0, 2, 1);
  m.additional.push_back(a);

  Bytes bytes = m.emit();
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[2], std::byte{0xff});  // QR, opcode 15, AA, TC, RD
  EXPECT_EQ(bytes[3], std::byte{0xf3});  // RA, Z=7, NXDOMAIN
  auto back = Message::parse(bytes);
  ASSERT_TRUE(back.ok());
  Message want = m;
  want.additional[0].rdata = {std::byte{192}, std::byte{0}, std::byte{2}, std::byte{1}};
  EXPECT_EQ(back->header, want.header);
  EXPECT_EQ(back->questions, want.questions);
  EXPECT_EQ(back->answers, want.answers);
  EXPECT_EQ(back->authority, want.authority);
  EXPECT_EQ(back->additional, want.additional);
}

TEST(DnsMessage, EmitRefusesWhatCannotBeEncoded) {
  Message m;
  m.questions.push_back({std::string(64, 'a'), type::kA, kClassIn});
  EXPECT_TRUE(m.emit().empty());
  Message r;
  r.answers.push_back(Record{.name = "x", .type = type::kCname, .cname = "a..b"});
  EXPECT_TRUE(r.emit().empty());
  Message big;
  big.answers.push_back(Record{.name = "x", .type = type::kTxt});
  big.answers[0].rdata.resize(0x10000);
  EXPECT_TRUE(big.emit().empty());
}

TEST(DnsMessage, TrailingBytesAreIgnored) {
  Bytes b = cname_chain_response();
  b.push_back(std::byte{0});
  EXPECT_TRUE(Message::parse(b).ok());
}

TEST(DnsMalformed, TruncatedHeader) {
  for (size_t n = 0; n < kHeaderLen; ++n)
    EXPECT_EQ(parse_error(Bytes(n)), DnsError::kTruncatedHeader) << n;
  EXPECT_TRUE(Message::parse(Bytes(kHeaderLen)).ok());
}

TEST(DnsMalformed, TruncatedQuestion) {
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).b), DnsError::kTruncatedQuestion);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).u8(3).u8('a').b),
            DnsError::kTruncatedQuestion);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).label("a").b), DnsError::kTruncatedQuestion);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).name("a").u16(1).b),
            DnsError::kTruncatedQuestion);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).name("a").u16(1).u8(0).b),
            DnsError::kTruncatedQuestion);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).u8(0xc0).b), DnsError::kTruncatedQuestion);
  // A count larger than what follows.
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 2, 0).name("a").u16(1).u16(1).b),
            DnsError::kTruncatedQuestion);
  // Every prefix of a good query that cuts into the question.
  Bytes q = Message::query(1, "abc.de")->emit();
  for (size_t n = kHeaderLen; n < q.size(); ++n)
    EXPECT_EQ(parse_error(Bytes(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n))),
              DnsError::kTruncatedQuestion)
        << n;
}

TEST(DnsMalformed, TruncatedRecord) {
  Bytes full = cname_chain_response();
  // Cut inside the last record's name or fixed part (it starts at 90: pointer, then 10 octets).
  for (size_t n = 90; n < 102; ++n)
    EXPECT_EQ(parse_error(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))),
              DnsError::kTruncatedRecord)
        << n;
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 0, 1).b), DnsError::kTruncatedRecord);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 0, 0, 1).name("a").u16(1).u16(1).u32(0).b),
            DnsError::kTruncatedRecord);
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 0, 0, 0, 1).b), DnsError::kTruncatedRecord);
}

TEST(DnsMalformed, RdataBeyondMessage) {
  Bytes full = cname_chain_response();
  for (size_t n = 102; n < full.size(); ++n)
    EXPECT_EQ(parse_error(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))),
              DnsError::kRdataBeyondMessage)
        << n;
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 0, 1).name("a").u16(16).u16(1).u32(0).u16(1).b),
            DnsError::kRdataBeyondMessage);
  EXPECT_EQ(
      parse_error(Builder{}.header(1, 0, 0, 1).u8(0).u16(16).u16(1).u32(0).u16(0xffff).u8(1).b),
      DnsError::kRdataBeyondMessage);
}

TEST(DnsMalformed, BadARdlength) {
  for (unsigned len : {0u, 3u, 5u, 16u}) {
    Builder b;
    b.header(1, 0x8000, 0, 1).name("a").u16(type::kA).u16(kClassIn).u32(0).u16(len);
    for (unsigned i = 0; i < len; ++i)
      b.u8(1);
    EXPECT_EQ(parse_error(b.b), DnsError::kBadARdlength) << len;
  }
  // Outside class IN an A record's rdata is not an address, and is kept raw.
  Builder chaos;
  chaos.header(1, 0x8000, 0, 1).name("a").u16(type::kA).u16(3).u32(0).u16(3).u8(1).u8(2).u8(3);
  auto r = Message::parse(chaos.b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->answers[0].a);
  EXPECT_EQ(r->answers[0].rdata.size(), 3u);
}

TEST(DnsMalformed, BadCname) {
  auto cname_with = [](Builder rdata) {
    Builder b;
    b.header(1, 0x8000, 0, 1).name("a").u16(type::kCname).u16(kClassIn).u32(0);
    b.u16(static_cast<unsigned>(rdata.size()));
    b.b.insert(b.b.end(), rdata.b.begin(), rdata.b.end());
    return b.b;
  };
  EXPECT_TRUE(Message::parse(cname_with(Builder{}.name("b.c"))).ok());
  EXPECT_EQ(parse_error(cname_with(Builder{}.name("b.c").u8(0))), DnsError::kBadCname);  // extra
  EXPECT_EQ(parse_error(cname_with(Builder{}.label("b"))), DnsError::kBadCname);         // no root
  EXPECT_EQ(parse_error(cname_with(Builder{})), DnsError::kBadCname);                    // empty
  EXPECT_EQ(parse_error(cname_with(Builder{}.u8(0xc0))), DnsError::kBadCname);  // half pointer
  // A record after it must not be read as the rest of the name.
  Builder b;
  b.header(1, 0x8000, 0, 2).name("a").u16(type::kCname).u16(kClassIn).u32(0).u16(2).label("b");
  b.name("c").u16(type::kA).u16(kClassIn).u32(0).u16(4).u32(0);
  EXPECT_EQ(parse_error(b.b), DnsError::kBadCname);
}

TEST(DnsMalformed, LabelTooLongOrReservedType) {
  for (unsigned first : {0x40u, 0x7fu, 0x80u, 0xbfu}) {
    Builder b;
    b.header(1, 0, 1, 0).u8(first);
    for (int i = 0; i < 200; ++i)
      b.u8('a');
    b.u8(0).u16(1).u16(1);
    EXPECT_EQ(parse_error(b.b), DnsError::kLabelTooLong) << first;
  }
  Builder ok;
  ok.header(1, 0, 1, 0).label(std::string(63, 'a')).u8(0).u16(1).u16(1);
  ASSERT_TRUE(Message::parse(ok.b).ok());
  EXPECT_EQ(Message::parse(ok.b)->questions[0].name, std::string(63, 'a'));
}

TEST(DnsMalformed, NameTooLong) {
  // 3 x 64 + 62 + 1 = 255 octets: the longest name; one more octet is too long.
  Builder ok;
  ok.header(1, 0, 1, 0);
  for (int i = 0; i < 3; ++i)
    ok.label(std::string(63, 'a'));
  ok.label(std::string(61, 'b')).u8(0).u16(1).u16(1);
  auto r = Message::parse(ok.b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Message::query(1, r->questions[0].name).ok());
  Builder bad;
  bad.header(1, 0, 1, 0);
  for (int i = 0; i < 3; ++i)
    bad.label(std::string(63, 'a'));
  bad.label(std::string(62, 'b')).u8(0).u16(1).u16(1);
  EXPECT_EQ(parse_error(bad.b), DnsError::kNameTooLong);
  EXPECT_EQ(encode_name(std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                        std::string(63, 'a') + "." + std::string(62, 'b'))
                .error(),
            DnsError::kNameTooLong);
  // Too long only after following pointers: each pointer re-uses the 128-octet tail.
  Builder viaptr;
  viaptr.header(1, 0, 2, 0).label(std::string(63, 'a')).label(std::string(63, 'a')).u8(0);
  viaptr.u16(1).u16(1);
  viaptr.label(std::string(63, 'c')).label(std::string(63, 'c')).ptr(12).u16(1).u16(1);
  EXPECT_EQ(parse_error(viaptr.b), DnsError::kNameTooLong);
}

TEST(DnsMalformed, PointerLoopsAndForwardPointers) {
  // Points at itself.
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).ptr(12).u16(1).u16(1).b),
            DnsError::kBadPointer);
  // Points forward, at a good name after it.
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).ptr(14).name("a").u16(1).u16(1).b),
            DnsError::kBadPointer);
  // A label, then a pointer back to that label: a loop through the labels.
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).label("a").ptr(12).u16(1).u16(1).b),
            DnsError::kBadPointer);
  // Far beyond the message (any target at or after the name is refused first).
  EXPECT_EQ(parse_error(Builder{}.header(1, 0, 1, 0).ptr(0x3fff).u16(1).u16(1).b),
            DnsError::kBadPointer);
  // Two names pointing at each other: the second jump is not before the first target.
  Builder two;
  two.header(1, 0, 2, 0).label("a").ptr(19).u16(1).u16(1);  // 12: a -> 19
  two.label("b").ptr(12).u16(1).u16(1);                     // 19: b -> 12
  EXPECT_EQ(parse_error(two.b), DnsError::kBadPointer);
}

TEST(DnsName, DecodeBoundsPointerChains) {
  // Octet 0 is the root; then pointers, each to the one before: a long but loop-free chain.
  auto chain = [](size_t pointers) {
    Builder b;
    b.u8(0);
    for (size_t i = 0; i < pointers; ++i)
      b.ptr(i == 0 ? 0 : static_cast<unsigned>(1 + 2 * (i - 1)));
    return b.b;
  };
  Bytes ok = chain(kMaxPointers);
  auto r = decode_name(ok, ok.size() - 2, DnsError::kTruncatedRecord);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "");
  EXPECT_EQ(r->end, ok.size());
  Bytes too_many = chain(kMaxPointers + 1);
  EXPECT_EQ(decode_name(too_many, too_many.size() - 2, DnsError::kTruncatedRecord).error(),
            DnsError::kBadPointer);
}

TEST(DnsName, EscapesOddOctets) {
  Bytes wire = Builder{}.u8(4).u8('a').u8('.').u8('\\').u8(0).u8(2).u8(' ').u8(0xff).u8(0).b;
  auto r = decode_name(wire, 0, DnsError::kTruncatedRecord);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "a\\.\\\\\\000.\\032\\255");
  EXPECT_EQ(encode_name(r->text).value(), wire);
  EXPECT_EQ(encode_name("a\\").error(), DnsError::kBadNameText);
  EXPECT_EQ(encode_name("a\\25").error(), DnsError::kBadNameText);
  EXPECT_EQ(encode_name("a\\256").error(), DnsError::kBadNameText);
  EXPECT_EQ(encode_name("").value(), Bytes{std::byte{0}});
  EXPECT_EQ(encode_name(".").value(), Bytes{std::byte{0}});
  EXPECT_EQ(encode_name("a.").value(), encode_name("a").value());
  EXPECT_EQ(encode_name("a..").error(), DnsError::kBadNameText);
}

TEST(DnsName, ComparesWithoutCase) {
  EXPECT_TRUE(names_equal("Example.COM", "example.com"));
  EXPECT_TRUE(names_equal("example.com.", "EXAMPLE.com"));
  EXPECT_TRUE(names_equal("", "."));
  EXPECT_TRUE(names_equal("\\065.b", "a.B"));
  EXPECT_FALSE(names_equal("example.com", "example.co"));
  EXPECT_FALSE(names_equal("a.b", "a\\.b"));
  EXPECT_FALSE(names_equal("a..b", "a..b"));  // not names at all
}

TEST(DnsMessage, ErrorMessages) {
  EXPECT_NE(to_string(DnsError::kBadPointer).find("pointer"), std::string_view::npos);
  EXPECT_NE(to_string(DnsError::kTruncatedHeader).find("truncated header"), std::string_view::npos);
}

// Random and mutated datagrams never crash, and whatever parses emits and parses back the same.
TEST(DnsMessage, RandomBytesNeverCrash) {
  std::mt19937 rng(20261125);
  const Bytes good = cname_chain_response();
  size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b;
    if (iter % 2 == 0) {
      b.resize(rng() % 300);
      for (auto& x : b)
        x = static_cast<std::byte>(rng());
      if (b.size() >= 12) b[4] = b[6] = b[8] = b[10] = std::byte{0};  // small counts, so
    } else {                                                          // bodies get parsed
      b = good;
      for (unsigned flips = 1 + rng() % 4; flips > 0; --flips)
        b[rng() % b.size()] = static_cast<std::byte>(rng());
      if (rng() % 4 == 0) b.resize(rng() % b.size());
    }
    auto r = Message::parse(b);
    if (!r.ok()) continue;
    ++parsed;
    Bytes again = r->emit();
    ASSERT_FALSE(again.empty());
    auto r2 = Message::parse(again);
    ASSERT_TRUE(r2.ok()) << to_string(r2.error());
    EXPECT_EQ(r2->header, r->header);
    EXPECT_EQ(r2->questions, r->questions);
    ASSERT_EQ(r2->answers.size(), r->answers.size());
    for (size_t i = 0; i < r->answers.size(); ++i) {
      EXPECT_EQ(r2->answers[i].name, r->answers[i].name);
      EXPECT_EQ(r2->answers[i].a, r->answers[i].a);
      EXPECT_EQ(r2->answers[i].cname, r->answers[i].cname);
    }
    EXPECT_EQ(r2->emit(), again);
  }
  EXPECT_GT(parsed, 100u);
}

}  // namespace
}  // namespace tundra::dns
