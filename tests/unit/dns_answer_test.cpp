// Reading responses to an A query (stack/dns/answer.hpp): the RFC 5452 match (QR, ID, question),
// rcodes, CNAME chains without case, loops and the length limit, the smallest TTL, the TC bit.
#include <gtest/gtest.h>

#include "stack/dns/answer.hpp"

namespace tundra::dns {
namespace {

using wire::ipv4::Address;

Message query_for(std::string_view name, uint16_t id = 0x1234) {
  auto q = Message::query(id, name);
  EXPECT_TRUE(q.ok());
  return *q;
}

// A response to `q` as a recursive server writes it, with `answers`.
Message response_to(const Message& q, std::vector<Record> answers = {}, uint8_t rc = 0) {
  Message r = q;
  r.header.qr = true;
  r.header.ra = true;
  r.header.rcode = rc;
  r.answers = std::move(answers);
  return r;
}

Record a_record(std::string name, Address a, uint32_t ttl = 300) {
  Record r;
  r.name = std::move(name);
  r.type = type::kA;
  r.ttl = ttl;
  r.a = a;
  return r;
}

Record cname_record(std::string name, std::string target, uint32_t ttl = 300) {
  Record r;
  r.name = std::move(name);
  r.type = type::kCname;
  r.ttl = ttl;
  r.cname = std::move(target);
  return r;
}

TEST(DnsAnswer, AddressesOfTheAskedName) {
  const Message q = query_for("www.example.com");
  const Answer a =
      read_answer(q,
                  response_to(q, {a_record("www.example.com", Address(192, 0, 2, 1), 300),
                                  a_record("other.example.com", Address(192, 0, 2, 9), 1),
                                  a_record("WWW.Example.COM", Address(192, 0, 2, 2), 60)}),
                  8);
  EXPECT_EQ(a.status, AnswerStatus::kAddresses);
  EXPECT_EQ(a.addresses, (std::vector<Address>{Address(192, 0, 2, 1), Address(192, 0, 2, 2)}));
  EXPECT_EQ(a.ttl, 60u);  // the other name's TTL of 1 is not ours
  EXPECT_EQ(a.canonical, "www.example.com");
  EXPECT_TRUE(a.cnames.empty());
  EXPECT_FALSE(a.truncated);
}

TEST(DnsAnswer, NotOursWhenAnyMatchFails) {
  const Message q = query_for("www.example.com");
  const Message good = response_to(q, {a_record("www.example.com", Address(192, 0, 2, 1))});
  EXPECT_TRUE(is_response_to(q, good));

  Message m = good;
  m.header.qr = false;
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.header.id ^= 1;
  std::string why;
  EXPECT_FALSE(is_response_to(q, m, &why));
  EXPECT_NE(why.find("ID"), std::string::npos);
  m = good;
  m.questions[0].name = "www.example.org";
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.questions[0].type = type::kAaaa;
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.questions[0].klass = 3;
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.questions.clear();
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.questions.push_back(m.questions[0]);
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.header.opcode = 2;
  EXPECT_FALSE(is_response_to(q, m));
  m = good;
  m.questions[0].name = "WWW.EXAMPLE.COM";  // RFC 1035 2.3.3: case does not matter
  EXPECT_TRUE(is_response_to(q, m));
  EXPECT_EQ(read_answer(q, m, 8).status, AnswerStatus::kAddresses);
  m.header.id ^= 1;
  EXPECT_EQ(read_answer(q, m, 8).status, AnswerStatus::kNotOurs);
}

TEST(DnsAnswer, Rcodes) {
  const Message q = query_for("x.example");
  EXPECT_EQ(read_answer(q, response_to(q, {}, rcode::kNxDomain), 8).status,
            AnswerStatus::kNotFound);
  for (uint8_t rc :
       {rcode::kServFail, rcode::kFormErr, rcode::kNotImp, rcode::kRefused, uint8_t{9}}) {
    const Answer a = read_answer(q, response_to(q, {}, rc), 8);
    EXPECT_EQ(a.status, AnswerStatus::kServerFailure) << int(rc);
    EXPECT_EQ(a.rcode, rc);
    EXPECT_FALSE(a.why.empty());
  }
  // NXDOMAIN wins over any records that came with it.
  EXPECT_EQ(
      read_answer(q, response_to(q, {a_record("x.example", Address(1, 2, 3, 4))}, 3), 8).status,
      AnswerStatus::kNotFound);
}

TEST(DnsAnswer, NodataIsNotFound) {
  const Message q = query_for("x.example");
  const Answer a = read_answer(q, response_to(q), 8);
  EXPECT_EQ(a.status, AnswerStatus::kNotFound);
  EXPECT_NE(a.why.find("NODATA"), std::string::npos);
}

TEST(DnsAnswer, FollowsACnameChainWithoutCase) {
  const Message q = query_for("www.example.com");
  // Out of order on purpose: the chain is followed by name, not by position.
  const Answer a =
      read_answer(q,
                  response_to(q, {a_record("edge.cdn.example", Address(198, 51, 100, 7), 20),
                                  cname_record("www.example.com", "Web.Example.NET", 3600),
                                  cname_record("web.example.net", "edge.CDN.example", 120)}),
                  8);
  ASSERT_EQ(a.status, AnswerStatus::kAddresses);
  EXPECT_EQ(a.cnames, (std::vector<std::string>{"web.example.net", "edge.cdn.example"}));
  EXPECT_EQ(a.canonical, "edge.cdn.example");
  EXPECT_EQ(a.addresses, std::vector<Address>{Address(198, 51, 100, 7)});
  EXPECT_EQ(a.ttl, 20u);
}

TEST(DnsAnswer, TtlIsTheSmallestInTheChain) {
  const Message q = query_for("a.example");
  const Answer a = read_answer(q,
                               response_to(q, {cname_record("a.example", "b.example", 5),
                                               a_record("b.example", Address(1, 1, 1, 1), 50)}),
                               8);
  EXPECT_EQ(a.ttl, 5u);
}

TEST(DnsAnswer, ChainWithoutAnAddressIsNodata) {
  const Message q = query_for("a.example");
  const Answer a = read_answer(q, response_to(q, {cname_record("a.example", "b.example")}), 8);
  EXPECT_EQ(a.status, AnswerStatus::kNotFound);
  EXPECT_EQ(a.canonical, "b.example");
  EXPECT_EQ(a.cnames, std::vector<std::string>{"b.example"});
}

TEST(DnsAnswer, CnameLoops) {
  const Message q = query_for("a.example");
  EXPECT_EQ(read_answer(q,
                        response_to(q, {cname_record("a.example", "b.example"),
                                        cname_record("b.example", "A.example")}),
                        8)
                .status,
            AnswerStatus::kCnameLoop);
  EXPECT_EQ(read_answer(q,
                        response_to(q, {cname_record("a.example", "b.example"),
                                        cname_record("b.example", "c.example"),
                                        cname_record("c.example", "b.example")}),
                        8)
                .status,
            AnswerStatus::kCnameLoop);
  EXPECT_EQ(read_answer(q, response_to(q, {cname_record("a.example", "a.example")}), 8).status,
            AnswerStatus::kCnameLoop);
}

TEST(DnsAnswer, ChainLengthLimit) {
  const Message q = query_for("n0.example");
  std::vector<Record> chain;
  for (int i = 0; i < 3; ++i)
    chain.push_back(cname_record("n" + std::to_string(i) + ".example",
                                 "n" + std::to_string(i + 1) + ".example"));
  chain.push_back(a_record("n3.example", Address(10, 0, 0, 3)));
  EXPECT_EQ(read_answer(q, response_to(q, chain), 3).status, AnswerStatus::kAddresses);
  EXPECT_EQ(read_answer(q, response_to(q, chain), 2).status, AnswerStatus::kCnameLoop);
  EXPECT_EQ(read_answer(q, response_to(q, chain), 0).status, AnswerStatus::kCnameLoop);
}

TEST(DnsAnswer, TruncatedWithAndWithoutAnAddress) {
  const Message q = query_for("big.example");
  Message with = response_to(q, {a_record("big.example", Address(10, 1, 1, 1))});
  with.header.tc = true;
  const Answer a = read_answer(q, with, 8);
  EXPECT_EQ(a.status, AnswerStatus::kAddresses);
  EXPECT_TRUE(a.truncated);
  Message without = response_to(q);
  without.header.tc = true;
  const Answer b = read_answer(q, without, 8);
  EXPECT_EQ(b.status, AnswerStatus::kTruncated);
  EXPECT_TRUE(b.truncated);
}

TEST(DnsAnswer, IgnoresRecordsOfOtherTypesAndClasses) {
  const Message q = query_for("x.example");
  Record txt;
  txt.name = "x.example";
  txt.type = type::kTxt;
  txt.rdata = {std::byte{1}, std::byte{'a'}};
  Record chaos = cname_record("x.example", "y.example");
  chaos.klass = 3;
  EXPECT_EQ(
      read_answer(q, response_to(q, {txt, chaos, a_record("y.example", Address(1, 2, 3, 4))}), 8)
          .status,
      AnswerStatus::kNotFound);
}

TEST(DnsAnswer, RealCompressedResponse) {
  // A response as dnsmasq sends it: www.example.com CNAME web.example.com, web.example.com A
  // 93.184.216.34, names compressed against the question and the CNAME's rdata.
  const unsigned char bytes[] = {
      0xbe, 0xef, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,  // header
      3,    'w',  'w',  'w',  7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',
      3,    'c',  'o',  'm',  0,                                               // @12
      0x00, 0x01, 0x00, 0x01,                                                  // A IN
      0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06,  // CNAME
      3,    'w',  'e',  'b',  0xc0, 0x10,                                      // @45
      0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,  // A
      93,   184,  216,  34};
  std::vector<std::byte> wire(sizeof bytes);
  for (size_t i = 0; i < sizeof bytes; ++i)
    wire[i] = std::byte{bytes[i]};
  auto m = Message::parse(wire);
  ASSERT_TRUE(m.ok());
  const Answer a = read_answer(query_for("www.example.com", 0xbeef), *m, 8);
  ASSERT_EQ(a.status, AnswerStatus::kAddresses) << a.why;
  EXPECT_EQ(a.cnames, std::vector<std::string>{"web.example.com"});
  EXPECT_EQ(a.addresses, std::vector<Address>{Address(93, 184, 216, 34)});
  EXPECT_EQ(a.ttl, 60u);
}

}  // namespace
}  // namespace tundra::dns
