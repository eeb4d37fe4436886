// tundra-ceiling's segments (apps/ceiling/segment.hpp): reading a real Linux SYN, every malformed
// shape, and the templates' incremental checksums checked by tundra's own full parsers
// (wire::ipv4 and wire::tcp verify checksums), the partial checksum finished as the kernel
// finishes it, the SYN-ACK's options, resets, and how much a source may send.
#include <gtest/gtest.h>

#include <vector>

#include "apps/ceiling/segment.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

namespace tundra::ceiling {
namespace {

using Bytes = std::vector<std::byte>;
namespace ipv4 = wire::ipv4;

Bytes bytes(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v)
    out.push_back(static_cast<std::byte>(b));
  return out;
}

const ipv4::Address kHost(10, 0, 0, 1);
const ipv4::Address kUs(10, 0, 0, 2);

// A SYN as Linux 6.x sends it to port 9: 10.0.0.1:40000 -> 10.0.0.2:9, seq 0x11223344, window
// 64240; options MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
Bytes linux_syn() {
  Bytes b = bytes({0x45, 0x00, 0x00, 0x3c, 0x8a, 0x4d, 0x40, 0x00, 0x40, 0x06,
                   0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,  // IPv4
                   0x9c, 0x40, 0x00, 0x09, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
                   0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,  // TCP
                   0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
                   0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07});
  return b;
}

// Parses a whole datagram with tundra's checking parsers: both checksums must verify.
struct Checked {
  ipv4::Repr ip;
  wire::tcp::Repr tcp;
};
Checked check(const Bytes& d) {
  auto ip = ipv4::Repr::parse(d);
  EXPECT_TRUE(ip.ok()) << (ip.ok() ? "" : ipv4::to_string(ip.error()));
  if (!ip.ok()) return {};
  auto tcp = wire::tcp::Repr::parse(std::span(d).subspan(ip.value().header_len), ip.value().src,
                                    ip.value().dst);
  EXPECT_TRUE(tcp.ok()) << (tcp.ok() ? "" : wire::tcp::to_string(tcp.error()));
  if (!tcp.ok()) return {ip.value(), {}};
  return {ip.value(), tcp.value()};
}

TEST(CeilingSegment, ParsesALinuxSyn) {
  const Bytes d = linux_syn();
  Segment s;
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.src, kHost);
  EXPECT_EQ(s.dst, kUs);
  EXPECT_EQ(s.src_port, 40000);
  EXPECT_EQ(s.dst_port, 9);
  EXPECT_EQ(s.seq.value(), 0x11223344u);
  EXPECT_EQ(s.flags, bits::kSyn);
  EXPECT_EQ(s.window, 64240);
  EXPECT_EQ(s.payload_len, 0u);
  EXPECT_EQ(s.mss, 1460);
  EXPECT_EQ(s.window_shift, 7);
  EXPECT_EQ(s.seq_len(), 1u);
}

TEST(CeilingSegment, ChecksumsAreNotChecked) {
  // The kernel made the datagram; with offloads its TCP checksum is only partial.
  Bytes d = linux_syn();
  d[36] = std::byte{0x12};
  d[37] = std::byte{0x34};
  Segment s;
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
}

TEST(CeilingSegment, ASuperSegmentCountsAllItsPayload) {
  // What the kernel hands over with TSO: one IP header for 64 KiB.
  const Bytes syn = linux_syn();
  const size_t payload = 65535 - 40;
  Bytes d(40 + payload);
  std::copy(syn.begin(), syn.begin() + 40, d.begin());
  wire::set16(d.data(), 2, 65535);
  wire::set8(d.data(), 32, 0x50);
  wire::set8(d.data(), 33, bits::kAck | bits::kPsh);
  Segment s;
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.payload_len, payload);
  EXPECT_EQ(s.mss, 0) << "options are read on SYNs only";
}

TEST(CeilingSegment, MalformedShapesAreRefused) {
  Segment s;
  const Bytes good = linux_syn();
  EXPECT_EQ(parse(good.data(), 0, s), Parsed::Malformed);
  EXPECT_EQ(parse(good.data(), 19, s), Parsed::Malformed);
  EXPECT_EQ(parse(good.data(), good.size() - 1, s), Parsed::Malformed) << "total length > read";
  Bytes d = good;
  d[0] = std::byte{0x60};
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::NotIpv4);
  EXPECT_EQ(parse(d.data(), 1, s), Parsed::NotIpv4);
  d = good;
  d[0] = std::byte{0x44};  // IHL 4
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  d[0] = std::byte{0x4f};  // IHL 15: 60 bytes, beyond the total length
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  wire::set16(d.data(), 2, 19);  // total length below the header
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  wire::set16(d.data(), 2, 30);  // room for 10 TCP bytes only
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  d[32] = std::byte{0x40};  // data offset 4
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  d[32] = std::byte{0xf0};  // data offset 15: 60 bytes, beyond the 40 there are
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Malformed);
  d = good;
  wire::set16(d.data(), 6, 0x2000);  // more fragments
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Fragment);
  wire::set16(d.data(), 6, 0x0010);  // an offset
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::Fragment);
  d = good;
  d[9] = std::byte{17};
  EXPECT_EQ(parse(d.data(), d.size(), s), Parsed::NotTcp);
}

TEST(CeilingSegment, BadOptionsKeepWhatCameBefore) {
  Bytes d = linux_syn();
  Segment s;
  d[45] = std::byte{0};  // SACK permitted with length 0: the list ends there
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.mss, 1460);
  EXPECT_EQ(s.window_shift, -1);
  d = linux_syn();
  d[57] = std::byte{9};  // window scale's length runs past the header
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.window_shift, -1);
  d = linux_syn();
  d[59] = std::byte{20};  // RFC 7323 2.3: taken as 14
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.window_shift, 14);
  d = linux_syn();
  d[58] = std::byte{4};  // window scale with the wrong length: ignored, list goes on
  d[59] = std::byte{0};
  ASSERT_EQ(parse(d.data(), d.size(), s), Parsed::Ok);
  EXPECT_EQ(s.window_shift, -1);
}

TEST(CeilingSegment, TemplateChecksumsVerify) {
  const HeaderTemplate h(kUs, 19, kHost, 40000);
  const uint32_t seqs[] = {0, 1, 0x7fffffff, 0xfffffff0, 0xffffffff};
  const size_t lens[] = {0, 1, 3, 1460, 8960, 65535 - 40};
  for (uint32_t seq : seqs)
    for (size_t len : lens)
      for (uint8_t flags : {bits::kAck, static_cast<uint8_t>(bits::kAck | bits::kFin),
                            static_cast<uint8_t>(bits::kAck | bits::kPsh)}) {
        Bytes d(kHeaderLen + len);
        ASSERT_EQ(h.emit(d.data(), flags, tcp::Seq(seq), tcp::Seq(~seq), 0xffff, len), d.size());
        const Checked c = check(d);
        EXPECT_EQ(c.ip.src, kUs);
        EXPECT_EQ(c.ip.dst, kHost);
        EXPECT_TRUE(c.ip.dont_fragment);
        EXPECT_EQ(c.ip.payload_len, kTcpHeaderLen + len);
        EXPECT_EQ(c.tcp.src_port, 19);
        EXPECT_EQ(c.tcp.dst_port, 40000);
        EXPECT_EQ(c.tcp.seq, seq);
        EXPECT_EQ(c.tcp.ack, ~seq);
        EXPECT_EQ(c.tcp.flags.bits(), flags);
        EXPECT_EQ(c.tcp.window, 0xffff);
        EXPECT_EQ(c.tcp.payload_len, len);
      }
}

TEST(CeilingSegment, PartialChecksumIsThePseudoHeaderSum) {
  const HeaderTemplate h(kUs, 19, kHost, 40000);
  const size_t len = 44 * 1460;
  Bytes d(kHeaderLen + len);
  h.emit(d.data(), bits::kAck, tcp::Seq(1000), tcp::Seq(2000), 0xffff, len, Checksum::Partial);
  const uint16_t partial = wire::get16(d.data(), 20 + 16);
  EXPECT_EQ(partial, wire::checksum::fold(wire::checksum::pseudo_header(
                         kUs, kHost, kProtoTcp, static_cast<uint16_t>(kTcpHeaderLen + len))));
  // CHECKSUM_PARTIAL finished as a device (or the kernel's software fallback) does: the sum from
  // csum_start to the end, the pseudo-header sum in the field included, complemented.
  const uint32_t sum = wire::checksum::accumulate(std::span(d).subspan(kIpHeaderLen));
  wire::set16(d.data(), 20 + 16, static_cast<uint16_t>(~wire::checksum::fold(sum)));
  const Checked c = check(d);
  EXPECT_EQ(c.tcp.payload_len, len);
}

TEST(CeilingSegment, SynAckCarriesMssAndWindowScale) {
  const HeaderTemplate h(kUs, 9, kHost, 40000);
  Bytes d(kIpHeaderLen + kSynAckTcpLen);
  ASSERT_EQ(h.emit_syn_ack(d.data(), tcp::Seq(0xfffffffe), tcp::Seq(0x11223345), 1460, 14),
            d.size());
  Checked c = check(d);
  EXPECT_EQ(c.tcp.flags.bits(), bits::kSyn | bits::kAck);
  EXPECT_EQ(c.tcp.seq, 0xfffffffeu);
  EXPECT_EQ(c.tcp.ack, 0x11223345u);
  EXPECT_EQ(c.tcp.window, 0xffff);
  EXPECT_EQ(c.tcp.options.mss, 1460);
  EXPECT_EQ(c.tcp.options.window_scale, 14);
  EXPECT_FALSE(c.tcp.options.sack_permitted);
  EXPECT_FALSE(c.tcp.options.timestamps);

  // RFC 7323 1.3: no window scale in answer to a SYN without one.
  h.emit_syn_ack(d.data(), tcp::Seq(1), tcp::Seq(2), 536, -1);
  c = check(d);
  EXPECT_EQ(c.tcp.options.mss, 536);
  EXPECT_FALSE(c.tcp.options.window_scale);
}

TEST(CeilingSegment, ResetsAnswerWhatTheyReset) {
  Bytes d = linux_syn();
  Segment syn;
  ASSERT_EQ(parse(d.data(), d.size(), syn), Parsed::Ok);
  Bytes out(kHeaderLen);
  ASSERT_EQ(emit_reset(out.data(), syn), kHeaderLen);
  // RFC 9293 3.10.7.1: no ACK bit: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  Checked c = check(out);
  EXPECT_EQ(c.ip.src, kUs);
  EXPECT_EQ(c.ip.dst, kHost);
  EXPECT_EQ(c.tcp.src_port, 9);
  EXPECT_EQ(c.tcp.dst_port, 40000);
  EXPECT_EQ(c.tcp.flags.bits(), bits::kRst | bits::kAck);
  EXPECT_EQ(c.tcp.seq, 0u);
  EXPECT_EQ(c.tcp.ack, 0x11223345u);
  // With an ACK bit: <SEQ=SEG.ACK><CTL=RST>.
  Segment ack = syn;
  ack.flags = bits::kAck;
  ack.ack = tcp::Seq(777);
  emit_reset(out.data(), ack);
  c = check(out);
  EXPECT_EQ(c.tcp.flags.bits(), bits::kRst);
  EXPECT_EQ(c.tcp.seq, 777u);
}

TEST(CeilingSegment, VnetHeaderForSuperSegments) {
  const VnetHeader none = vnet_header();
  EXPECT_EQ(none.flags, 0);
  EXPECT_EQ(none.gso_type, 0);
  EXPECT_EQ(none.gso_size, 0);
  const VnetHeader gso = vnet_header(1460);
  EXPECT_EQ(gso.flags, kVnetNeedsCsum);
  EXPECT_EQ(gso.gso_type, kVnetGsoTcpv4);
  EXPECT_EQ(gso.hdr_len, 40);
  EXPECT_EQ(gso.gso_size, 1460);
  EXPECT_EQ(gso.csum_start, 20);
  EXPECT_EQ(gso.csum_offset, 16);
}

TEST(CeilingSegment, NextPayloadStaysInTheWindowInWholeSegments) {
  constexpr uint32_t kOne = 1;
  constexpr uint32_t kMany = 0xffffffff;
  // One segment per datagram.
  EXPECT_EQ(next_payload(1 << 20, 0, 1460, kOne), 1460u);
  EXPECT_EQ(next_payload(1460, 5000, 1460, kOne), 1460u);
  EXPECT_EQ(next_payload(1459, 5000, 1460, kOne), 0u) << "no small segment while data is out";
  EXPECT_EQ(next_payload(1000, 0, 1460, kOne), 1000u) << "a window below one MSS takes what fits";
  EXPECT_EQ(next_payload(0, 0, 1460, kOne), 0u);
  // Super-segments: as many MSS as fit in 65535 bytes of datagram, and the window.
  EXPECT_EQ(next_payload(1 << 20, 0, 1460, kMany), 44u * 1460);
  EXPECT_EQ(next_payload(1 << 20, 0, 8960, kMany), 7u * 8960);
  EXPECT_EQ(next_payload(10 * 1460 + 7, 0, 1460, kMany), 10u * 1460);
  EXPECT_EQ(next_payload(1 << 20, 0, 65495, kMany), 65495u);
  EXPECT_LE(kHeaderLen + next_payload(1 << 20, 0, 88, kMany), kMaxDatagram);
}

}  // namespace
}  // namespace tundra::ceiling
