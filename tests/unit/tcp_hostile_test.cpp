// Ring 2 for TCP under attack: a Stack on a CaptureLink, on a simulated clock, fed random and
// malformed segments, a SYN flood, and blind RST, SYN and ACK injections (RFC 5961). Nothing
// crashes, everything is counted, legitimate connections survive, and every slot is freed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <random>

#include "stack/stack.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/tcp.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

namespace tcpw = wire::tcp;
using tcpw::Flag;
using tcpw::Flags;

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);
constexpr uint16_t kPort = 80;
constexpr uint8_t kTcp = 6;

// A segment's bytes: header `h` (its payload_len taken from `payload`), checksummed for src→dst.
Bytes tcp_segment(tcpw::Repr h, const Bytes& payload, ipv4::Address src, ipv4::Address dst) {
  h.payload_len = payload.size();
  Bytes seg(h.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), seg.begin() + long(h.header_len()));
  h.emit(seg, src, dst);
  return seg;
}

// Makes raw segment bytes' checksum verify, whatever else is wrong with them, so the test
// reaches the check it means to hit rather than the checksum.
void fix_checksum(Bytes& seg, ipv4::Address src, ipv4::Address dst) {
  if (seg.size() < 18) return;
  seg[16] = seg[17] = std::byte{0};
  const uint32_t pseudo =
      wire::checksum::pseudo_header(src, dst, kTcp, static_cast<uint16_t>(seg.size()));
  const auto c =
      static_cast<uint16_t>(~wire::checksum::fold(wire::checksum::accumulate(seg, pseudo)));
  seg[16] = std::byte(c >> 8);
  seg[17] = std::byte(c & 0xff);
}

Bytes tcp_datagram(ipv4::Address src, const Bytes& segment, ipv4::Address dst = kUs) {
  return ip_datagram(ip_header(src, dst, ipv4::Protocol::Tcp), segment);
}

// A segment the stack sent, parsed back.
struct Sent {
  ipv4::Address dst;
  tcpw::Repr h;
  Bytes payload;
};

std::vector<Sent> parse_sent(const std::vector<Bytes>& out) {
  std::vector<Sent> r;
  for (const Bytes& d : out) {
    auto ip = ipv4::Repr::parse(d);
    if (!ip.ok() || ip->protocol != kTcp) {
      ADD_FAILURE() << "the stack sent something that is not a TCP datagram";
      continue;
    }
    const auto seg = std::span(d).subspan(ip->header_len, ip->payload_len);
    auto h = tcpw::Repr::parse(seg, ip->src, ip->dst);
    if (!h.ok()) {
      ADD_FAILURE() << "the stack sent a TCP segment that does not parse";
      continue;
    }
    const auto p = seg.subspan(h->header_len(), h->payload_len);
    r.push_back(Sent{ip->dst, *h, Bytes(p.begin(), p.end())});
  }
  return r;
}

// The byte at offset i of the stream a legitimate peer sends.
std::byte stream_byte(size_t i) {
  return static_cast<std::byte>((i * 131 + (i >> 8)) & 0xff);
}

// A remote end driven by the test: its address, port and both sequence spaces as it sees them.
struct Peer {
  ipv4::Address addr = kPeer;
  uint16_t port = 40000;
  uint32_t seq = 1'000'000;       // its SND.NXT
  uint32_t ack = 0;               // its RCV.NXT: the stack's SND.NXT once synchronized
  uint16_t window = 65535;        // what it offers (no scaling: it sends no window scale option)
  std::optional<uint32_t> tsval;  // RFC 7323 timestamps on every segment, when set
};

class TcpHostile : public ::testing::Test {
 protected:
  TcpHostile() : stack(link, config()) {
    auto l = stack.tcp().listen(tcp::Endpoint{{}, kPort}, 128);
    EXPECT_TRUE(l.ok());
    listener = *l;
  }

  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.ipv4.gateway = kPeer;  // so SYN-ACKs to flooders' far addresses have a route
    c.seed = 42;
    return c;
  }

  // Feeds one datagram, polls once, returns the TCP segments the stack sent.
  std::vector<Sent> deliver(Bytes datagram) {
    link.inject(std::move(datagram));
    stack.poll(clock.now());
    return parse_sent(link.take_sent());
  }

  Bytes segment_from(const Peer& p, Flags flags, uint32_t seq, uint32_t ack, const Bytes& data = {},
                     uint16_t dst_port = kPort) {
    tcpw::Repr h;
    h.src_port = p.port;
    h.dst_port = dst_port;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.window = p.window;
    if (p.tsval) h.options.timestamps = tcpw::Timestamps{*p.tsval, 0};
    return tcp_datagram(p.addr, tcp_segment(h, data, p.addr, kUs));
  }

  // Drives a handshake from `p` to the listener: SYN in, SYN-ACK out, ACK in, accept().
  std::optional<tcp::ConnId> handshake(Peer& p) {
    tcpw::Repr syn;
    syn.src_port = p.port;
    syn.dst_port = kPort;
    syn.seq = p.seq;
    syn.flags = Flags(Flag::Syn);
    syn.window = p.window;
    syn.options.mss = 1460;
    if (p.tsval) syn.options.timestamps = tcpw::Timestamps{*p.tsval, 0};
    auto out = deliver(tcp_datagram(p.addr, tcp_segment(syn, {}, p.addr, kUs)));
    EXPECT_EQ(out.size(), 1u) << "no SYN-ACK";
    if (out.size() != 1) return std::nullopt;
    EXPECT_EQ(out[0].h.flags, Flag::Syn | Flag::Ack);
    EXPECT_EQ(out[0].h.ack, p.seq + 1);
    EXPECT_EQ(out[0].dst, p.addr);
    syn_ack_window = out[0].h.window;
    p.seq += 1;
    p.ack = out[0].h.seq + 1;
    EXPECT_TRUE(deliver(segment_from(p, Flags(Flag::Ack), p.seq, p.ack)).empty());
    auto id = stack.tcp().accept(listener);
    EXPECT_TRUE(id.has_value()) << "accept() found no connection after the handshake";
    return id;
  }

  tcp::Connection& conn(tcp::ConnId id) { return *stack.tcp().find(id); }

  // Runs timers forward, jumping the simulated clock from deadline to deadline, for at most
  // `span` of simulated time; output is thrown away (no peer answers).
  void run_for(Duration span) {
    const Instant end = clock.now() + span;
    for (int guard = 0; guard < 1'000'000; ++guard) {
      stack.poll(clock.now());
      link.take_sent();
      const auto next = stack.poll_at();
      if (!next || *next > end) break;
      clock.set(std::max(*next, clock.now() + Duration(1)));
    }
    clock.set(end);
    stack.poll(clock.now());
    link.take_sent();
  }

  // Every sequence number offset from 0 to 2^32-1 in steps of about 2^16, shifted by `phase`,
  // plus the edges around `edges`: a sample of the whole 32-bit space.
  static std::vector<uint32_t> whole_space(uint32_t phase, std::initializer_list<uint32_t> edges) {
    std::vector<uint32_t> v;
    for (uint64_t k = 0; k < (uint64_t{1} << 32); k += 65521)
      v.push_back(static_cast<uint32_t>(k + phase));
    for (uint32_t e : edges)
      for (uint32_t d : {0u, 1u, 2u, 0xffffffffu, 0xfffffffeu})
        v.push_back(e + d);
    for (uint32_t e : {0x7fffffffu, 0x80000000u, 0x80000001u, 0xffffffffu})
      v.push_back(e);
    return v;
  }

  SimClock clock;
  CaptureLink link;
  Stack stack;
  tcp::ListenerId listener = 0;
  uint16_t syn_ack_window = 0;
};

TEST_F(TcpHostile, RandomAndMalformedSegmentsAreCountedAndTheListenerStillWorks) {
  Peer estab;
  auto eid = handshake(estab);
  ASSERT_TRUE(eid);
  const auto base = stack.tcp().counters();

  std::mt19937 rng(1234);
  auto rand_addr = [&] {
    return ipv4::Address(100, static_cast<uint8_t>(64 + rng() % 64), static_cast<uint8_t>(rng()),
                         static_cast<uint8_t>(1 + rng() % 254));
  };
  auto rand_bytes = [&](size_t n) {
    Bytes b(n);
    for (auto& x : b)
      x = std::byte(rng());
    return b;
  };
  // A segment with every field random, options none, checksum right.
  auto random_header = [&](ipv4::Address src, size_t payload) {
    tcpw::Repr h;
    h.src_port = static_cast<uint16_t>(rng());
    h.dst_port = rng() % 2 ? kPort : static_cast<uint16_t>(rng());
    h.seq = static_cast<uint32_t>(rng());
    h.ack = static_cast<uint32_t>(rng());
    h.flags = Flags::from_bits(static_cast<uint8_t>(rng()));
    h.window = static_cast<uint16_t>(rng());
    h.urgent = static_cast<uint16_t>(rng());
    return tcp_segment(h, rand_bytes(payload), src, kUs);
  };

  constexpr int kRounds = 60000;
  uint64_t bad_checksum = 0, malformed = 0;
  for (int i = 0; i < kRounds; ++i) {
    const ipv4::Address src = rng() % 4 == 0 ? kPeer : rand_addr();
    Bytes seg;
    switch (i % 6) {
      case 0:  // a valid segment whose checksum is off: one byte changed cannot cancel out
        seg = random_header(src, rng() % 64);
        seg[16] ^= std::byte(1 + rng() % 255);
        ++bad_checksum;
        break;
      case 1: {  // data offset under 5 words, or past the end of a segment of under 36 bytes
        seg = random_header(src, rng() % 16);
        const auto words = static_cast<uint8_t>(rng() % 2 ? rng() % 5 : 10 + rng() % 6);
        seg[12] = std::byte(static_cast<uint8_t>(words << 4));
        fix_checksum(seg, src, kUs);
        ++malformed;
        break;
      }
      case 2: {  // options whose lengths lie
        static const std::vector<Bytes> bad_options = {
            {std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}},   // length 0
            {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{9}},   // kind with no length
            {std::byte{3}, std::byte{1}, std::byte{0}, std::byte{0}},   // length 1
            {std::byte{2}, std::byte{3}, std::byte{5}, std::byte{0}},   // MSS of length 3
            {std::byte{8}, std::byte{40}, std::byte{0}, std::byte{0}},  // past the header
            {std::byte{5}, std::byte{4}, std::byte{0}, std::byte{0}},   // SACK without a block
            {std::byte{4}, std::byte{3}, std::byte{0}, std::byte{0}},   // SACK-permitted, len 3
        };
        const Bytes& opt = bad_options[rng() % bad_options.size()];
        Bytes s = random_header(src, 0);
        s.insert(s.begin() + 20, opt.begin(), opt.end());
        const Bytes payload = rand_bytes(rng() % 32);
        s.insert(s.end(), payload.begin(), payload.end());
        s[12] = std::byte{6 << 4};
        fix_checksum(s, src, kUs);
        seg = std::move(s);
        ++malformed;
        break;
      }
      case 3:  // shorter than a header
        seg = rand_bytes(rng() % 20);
        ++malformed;
        break;
      case 4:  // random flags and fields, checksum right: reach the state machine
        seg = random_header(src, rng() % 100);
        break;
      case 5: {  // random flags and numbers on the established connection's own 4-tuple
        tcpw::Repr h;
        h.src_port = estab.port;
        h.dst_port = kPort;
        h.seq = static_cast<uint32_t>(rng());
        h.ack = static_cast<uint32_t>(rng());
        h.flags = Flags::from_bits(static_cast<uint8_t>(rng()));
        h.window = static_cast<uint16_t>(rng());
        seg = tcp_segment(h, rand_bytes(rng() % 100), estab.addr, kUs);
        link.inject(tcp_datagram(estab.addr, seg));
        if (i % 64 == 0) stack.poll(clock.now());
        continue;
      }
    }
    link.inject(tcp_datagram(src, seg));
    if (i % 64 == 0) {
      stack.poll(clock.now());
      link.take_sent();
      clock.advance(std::chrono::milliseconds(1));
    }
  }
  for (int i = 0; i < 1000 && stack.poll(clock.now()).received > 0; ++i)
    link.take_sent();
  link.take_sent();

  const auto& c = stack.tcp().counters();
  EXPECT_EQ(c.segments_in - base.segments_in, uint64_t{kRounds});
  EXPECT_EQ(c.bad_checksum - base.bad_checksum, bad_checksum);
  EXPECT_EQ(c.malformed - base.malformed, malformed);
  EXPECT_GT(c.no_connection, base.no_connection);
  EXPECT_GT(c.passive_opens, base.passive_opens);  // random SYNs did reach the listener
  EXPECT_LE(stack.tcp().connection_count(), stack.tcp().config().syn_queue + 1);
  ASSERT_EQ(conn(*eid).state(), tcp::State::Established);

  // The half-open connections random SYNs made run out of SYN-ACK retransmissions; then a
  // normal client is served as ever.
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 1u);
  Peer fresh{ipv4::Address(10, 0, 0, 7), 50000, 77};
  const auto id = handshake(fresh);
  ASSERT_TRUE(id);
  EXPECT_EQ(conn(*id).state(), tcp::State::Established);

  stack.tcp().release(*id, true, clock.now());
  stack.tcp().release(*eid, true, clock.now());
  run_for(std::chrono::minutes(30));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, SynFloodStaysWithinTheSynQueueAndLegitimateClientsGetIn) {
  const size_t syn_queue = stack.tcp().config().syn_queue;
  std::mt19937 rng(99);
  constexpr int kSyns = 100'000;
  size_t most = 0;
  uint64_t syn_acks = 0, legit_syns = 0;
  std::optional<tcp::ConnId> during;
  for (int i = 0; i < kSyns; ++i) {
    Peer p{ipv4::Address(100, static_cast<uint8_t>(64 + rng() % 64), static_cast<uint8_t>(rng()),
                         static_cast<uint8_t>(1 + rng() % 254)),
           static_cast<uint16_t>(1024 + rng() % 64000), static_cast<uint32_t>(rng())};
    tcpw::Repr syn;
    syn.src_port = p.port;
    syn.dst_port = kPort;
    syn.seq = p.seq;
    syn.flags = Flags(Flag::Syn);
    syn.window = 65535;
    syn.options.mss = 1460;
    link.inject(tcp_datagram(p.addr, tcp_segment(syn, {}, p.addr, kUs)));
    // 2 ms a SYN: 200 s of flood, longer than a half-open connection's SYN-ACK budget (127 s),
    // so slots expire and are taken again while it goes on.
    clock.advance(std::chrono::milliseconds(2));
    stack.poll(clock.now());
    for (const auto& s : parse_sent(link.take_sent()))
      syn_acks += s.h.flags == (Flag::Syn | Flag::Ack);
    most = std::max(most, stack.tcp().connection_count());
    ASSERT_LE(stack.tcp().connection_count(), syn_queue) << "after SYN " << i;

    if (i == kSyns / 2) {
      // Mid-flood: the queue is full, so a legitimate SYN is dropped (and counted) ...
      ASSERT_EQ(stack.tcp().connection_count(), syn_queue);
      const uint64_t full_before = stack.tcp().counters().syn_queue_full;
      Peer legit{ipv4::Address(10, 0, 0, 9), 45000, 5555};
      tcpw::Repr lsyn = syn;
      lsyn.src_port = legit.port;
      lsyn.seq = legit.seq;
      EXPECT_TRUE(
          deliver(tcp_datagram(legit.addr, tcp_segment(lsyn, {}, legit.addr, kUs))).empty());
      ++legit_syns;
      EXPECT_EQ(stack.tcp().counters().syn_queue_full, full_before + 1);
      // ... and once a half-open connection expires, its retransmitted SYN gets in.
      while (stack.tcp().connection_count() == syn_queue) {
        clock.set(*stack.poll_at());
        stack.poll(clock.now());
        link.take_sent();
      }
      ++legit_syns;
      during = handshake(legit);
      ASSERT_TRUE(during);
      EXPECT_EQ(conn(*during).state(), tcp::State::Established);
      stack.tcp().release(*during, true, clock.now());
      stack.poll(clock.now());
      link.take_sent();
    }
  }
  const auto& c = stack.tcp().counters();
  EXPECT_EQ(most, syn_queue);
  EXPECT_GT(c.syn_queue_full, uint64_t{kSyns / 2});
  EXPECT_EQ(c.passive_opens + c.syn_queue_full, kSyns + legit_syns);
  EXPECT_EQ(c.accept_queue_full, 0u);
  EXPECT_GE(syn_acks, c.passive_opens - 1);  // every admitted flood SYN was answered

  // Past the SYN-ACK retransmission budget nothing half-open is left, no timer either.
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
  EXPECT_FALSE(stack.poll_at().has_value());

  Peer after{ipv4::Address(10, 0, 0, 10), 46000, 6666};
  const auto id = handshake(after);
  ASSERT_TRUE(id);
  stack.tcp().release(*id, true, clock.now());
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, RstInjectionResetsOnlyAtExactlyRcvNxt) {
  Peer p;
  const auto id = handshake(p);
  ASSERT_TRUE(id);
  const uint32_t rcv_nxt = p.seq;
  const uint32_t wnd = syn_ack_window;
  ASSERT_GT(wnd, 1000u);
  ASSERT_EQ(conn(*id).rcv_nxt().value(), rcv_nxt);

  // RFC 5961 3.2: outside the window, silently dropped, whatever the ACK field says.
  size_t out_of_window = 0;
  for (uint32_t off : whole_space(4099, {wnd, 0x80000000u, 0u - 1000u})) {
    if (off < wnd) continue;
    for (Flags f : {Flags(Flag::Rst), Flag::Rst | Flag::Ack}) {
      EXPECT_TRUE(deliver(segment_from(p, f, rcv_nxt + off, p.ack)).empty()) << off;
      ASSERT_EQ(conn(*id).state(), tcp::State::Established) << "reset by a RST at offset " << off;
      ++out_of_window;
    }
  }
  EXPECT_GT(out_of_window, 130'000u);

  // In the window but not exact: a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>, at most
  // challenge_acks_per_second of them a second across the stack (RFC 5961 7).
  size_t challenges = 0, in_window = 0;
  for (uint32_t off = 1; off < wnd; off += 3) {
    for (const auto& s : deliver(segment_from(p, Flags(Flag::Rst), rcv_nxt + off, 0))) {
      EXPECT_EQ(s.h.flags, Flags(Flag::Ack));
      EXPECT_EQ(s.h.seq, p.ack);
      EXPECT_EQ(s.h.ack, rcv_nxt);
      EXPECT_TRUE(s.payload.empty());
      ++challenges;
    }
    ASSERT_EQ(conn(*id).state(), tcp::State::Established) << "reset by a RST at offset " << off;
    ++in_window;
  }
  const auto budget = static_cast<size_t>(stack.tcp().config().challenge_acks_per_second);
  EXPECT_GT(in_window, budget);
  EXPECT_EQ(challenges, budget);  // the whole burst, then nothing: the clock did not move
  EXPECT_EQ(conn(*id).stats().challenge_acks, challenges);
  // A second later the budget has refilled.
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(deliver(segment_from(p, Flags(Flag::Rst), rcv_nxt + wnd - 1, 0)).size(), 1u);
  EXPECT_EQ(deliver(segment_from(p, Flags(Flag::Rst), rcv_nxt + 1, 0)).size(), 1u);
  ASSERT_EQ(conn(*id).state(), tcp::State::Established);

  // Exactly RCV.NXT: the connection is reset, and nothing answers a RST.
  EXPECT_TRUE(deliver(segment_from(p, Flags(Flag::Rst), rcv_nxt, 0)).empty());
  EXPECT_EQ(conn(*id).state(), tcp::State::Closed);
  EXPECT_EQ(conn(*id).take_error(), ECONNRESET);
  EXPECT_EQ(stack.tcp().counters().established_resets, 1u);

  stack.tcp().release(*id, false, clock.now());
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, SynInjectionNeverResetsAndIsChallenged) {
  Peer p;
  const auto id = handshake(p);
  ASSERT_TRUE(id);
  const uint32_t rcv_nxt = p.seq;
  const uint32_t wnd = syn_ack_window;
  size_t syns = 0, in_window = 0;
  for (uint32_t off : whole_space(7919, {0u, wnd, 0u - 1u, 100u})) {
    for (Flags f : {Flags(Flag::Syn), Flag::Syn | Flag::Ack}) {
      // One millisecond between SYNs keeps the challenge-ACK budget topped up, so every one
      // is answered and the count below is exact.
      clock.advance(std::chrono::milliseconds(1));
      const auto out = deliver(segment_from(p, f, rcv_nxt + off, p.ack));
      ASSERT_EQ(out.size(), 1u) << "offset " << off;
      EXPECT_EQ(out[0].h.flags, Flags(Flag::Ack)) << "offset " << off;
      EXPECT_EQ(out[0].h.seq, p.ack);
      EXPECT_EQ(out[0].h.ack, rcv_nxt);
      ASSERT_EQ(conn(*id).state(), tcp::State::Established) << "offset " << off;
      ++syns;
      in_window += off < wnd;
    }
  }
  EXPECT_GT(syns, 130'000u);
  // RFC 5961 4.2: in-window SYNs get the challenge ACK (the others, RFC 9293's ACK for an
  // unacceptable segment).
  EXPECT_GT(in_window, 0u);
  EXPECT_EQ(conn(*id).stats().challenge_acks, in_window);
  // A SYN carrying data at RCV.NXT delivers none of it.
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(deliver(segment_from(p, Flags(Flag::Syn), rcv_nxt, 0, pattern(100))).size(), 1u);
  EXPECT_EQ(conn(*id).recv_queued(), 0u);
  EXPECT_EQ(conn(*id).rcv_nxt().value(), rcv_nxt);

  // The connection still carries data.
  const Bytes data = pattern(300, 3);
  deliver(segment_from(p, Flags(Flag::Ack) | Flag::Psh, p.seq, p.ack, data));
  Bytes got(300);
  EXPECT_EQ(conn(*id).recv(got), 300u);
  EXPECT_EQ(got, data);

  stack.tcp().release(*id, true, clock.now());
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, DataWithAnUnacceptableAckIsDropped) {
  Peer p;
  const auto id = handshake(p);
  ASSERT_TRUE(id);
  tcp::Connection& c = conn(*id);
  // Our side sends 1000 bytes the peer acknowledges, then 500 it has not, so SND.UNA < SND.NXT
  // and both edges of [SND.UNA - MAX.SND.WND, SND.NXT] are away from the ISS.
  const Bytes first = pattern(1000, 1), second = pattern(500, 2);
  ASSERT_EQ(c.send(first), 1000u);
  stack.tcp().touch(*id);
  stack.poll(clock.now());
  ASSERT_EQ(parse_sent(link.take_sent()).size(), 1u);
  p.ack += 1000;
  deliver(segment_from(p, Flags(Flag::Ack), p.seq, p.ack));
  ASSERT_EQ(c.send(second), 500u);
  stack.tcp().touch(*id);
  stack.poll(clock.now());
  link.take_sent();
  const uint32_t snd_una = c.snd_una().value(), snd_nxt = c.snd_nxt().value();
  ASSERT_EQ(snd_una, p.ack);
  ASSERT_EQ(snd_nxt, p.ack + 500);
  const uint32_t lowest = snd_una - p.window;  // SND.UNA - MAX.SND.WND (RFC 5961 5.2)
  const uint32_t rcv_nxt = p.seq;

  size_t tried = 0;
  for (uint32_t ack : whole_space(31337, {snd_nxt + 1, lowest - 1, snd_nxt + 0x80000000u})) {
    // Acceptable: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, in sequence-space order.
    if (ack - lowest <= snd_nxt - lowest) continue;
    const auto out = deliver(
        segment_from(p, Flags(Flag::Ack) | Flag::Psh, rcv_nxt, ack, pattern(64, ack % 251)));
    ASSERT_LE(out.size(), 1u) << "ack " << ack;
    for (const auto& s : out) {
      EXPECT_EQ(s.h.flags, Flags(Flag::Ack));
      EXPECT_TRUE(s.payload.empty());
    }
    ASSERT_EQ(c.recv_queued(), 0u) << "data with ack " << ack << " was taken";
    ASSERT_EQ(c.rcv_nxt().value(), rcv_nxt);
    ASSERT_EQ(c.state(), tcp::State::Established);
    ++tried;
  }
  EXPECT_GT(tried, 65'000u);
  EXPECT_EQ(c.snd_una().value(), snd_una);  // no injected ACK moved our send side either

  // The edges themselves are acceptable: the data is taken (so the checks above could fail).
  const Bytes data = pattern(64, 9);
  deliver(segment_from(p, Flags(Flag::Ack), rcv_nxt, lowest, data));
  EXPECT_EQ(c.recv_queued(), 64u);
  deliver(segment_from(p, Flags(Flag::Ack), rcv_nxt + 64, snd_nxt, data));
  EXPECT_EQ(c.recv_queued(), 128u);
  EXPECT_EQ(c.snd_una().value(), snd_nxt);

  stack.tcp().release(*id, true, clock.now());
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, DataWithAnUnacceptableAckLeavesTsRecentAlone) {
  // RFC 5961 5 with RFC 7323: an injected segment that is dropped for its ACK field (or for
  // having none) must leave no trace. If its far-future TSval became TS.Recent, PAWS would throw
  // away every genuine segment from then on: the connection would stall.
  Peer p;
  p.tsval = 1000;
  const auto id = handshake(p);
  ASSERT_TRUE(id);
  tcp::Connection& c = conn(*id);
  ASSERT_TRUE(c.timestamps_enabled());
  Peer attacker = p;
  attacker.tsval = 1000 + 0x7fff0000u;
  deliver(segment_from(attacker, Flags(Flag::Ack) | Flag::Psh, p.seq, p.ack + 0x40000000u,
                       pattern(50, 1)));
  deliver(segment_from(attacker, Flags(Flag::Psh), p.seq, 0, pattern(50, 2)));
  ASSERT_EQ(c.recv_queued(), 0u);

  p.tsval = 1001;
  const Bytes data = pattern(100, 3);
  deliver(segment_from(p, Flags(Flag::Ack) | Flag::Psh, p.seq, p.ack, data));
  ASSERT_EQ(c.recv_queued(), 100u) << "the genuine segment was dropped (PAWS)";
  Bytes got(100);
  EXPECT_EQ(c.recv(got), 100u);
  EXPECT_EQ(got, data);

  stack.tcp().release(*id, true, clock.now());
  run_for(std::chrono::minutes(5));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
}

TEST_F(TcpHostile, BlindInjectionNeverCorruptsTheStreamAndTimeWaitEnds) {
  Peer p;
  const auto id = handshake(p);
  ASSERT_TRUE(id);
  tcp::Connection& c = conn(*id);
  const uint32_t wnd = syn_ack_window;
  std::mt19937 rng(2024);
  auto garbage = [&](size_t n) {
    Bytes b(n);
    for (auto& x : b)
      x = std::byte(rng() | 0x80);  // never what stream_byte() would put there by chance
    return b;
  };
  // An acknowledgment number outside [SND.UNA - MAX.SND.WND, SND.NXT].
  auto bad_ack = [&] { return p.ack + 1 + static_cast<uint32_t>(rng() % 0x7fff0000u); };

  constexpr size_t kSegments = 400, kLen = 100;
  size_t sent = 0, received = 0;
  Bytes got(4096);
  for (size_t i = 0; i < kSegments; ++i) {
    const uint32_t rcv_nxt = p.seq;
    const size_t len = 1 + rng() % kLen;
    switch (rng() % 6) {
      case 0:  // sequence number wholly outside the window, valid ACK
        deliver(segment_from(
            p, Flags(Flag::Ack) | Flag::Psh,
            rcv_nxt + wnd + static_cast<uint32_t>(rng() % (0xffffffffu - wnd - 2 * kLen)), p.ack,
            garbage(len)));
        break;
      case 1:  // in the window, even at RCV.NXT, but an ACK outside the acceptable range
        deliver(segment_from(p, Flags(Flag::Ack),
                             rcv_nxt + static_cast<uint32_t>(rng() % 2 ? 0 : rng() % 1000),
                             bad_ack(), garbage(len)));
        break;
      case 2:  // in the window without the ACK bit (RFC 9293: dropped)
        deliver(segment_from(p, Flags(Flag::Psh), rcv_nxt, 0, garbage(len)));
        break;
      case 3:  // a RST or SYN at a guessed sequence number
        deliver(segment_from(p, rng() % 2 ? Flags(Flag::Rst) : Flags(Flag::Syn),
                             rcv_nxt + 1 + static_cast<uint32_t>(rng() % 0xfffffff0u), p.ack,
                             garbage(rng() % 2 ? 0 : len)));
        break;
      case 4: {  // right numbers, wrong checksum
        Bytes d = segment_from(p, Flags(Flag::Ack), rcv_nxt, p.ack, garbage(len));
        d[20 + 16] ^= std::byte{0x40};
        deliver(std::move(d));
        break;
      }
      default:
        break;
    }
    ASSERT_EQ(c.state(), tcp::State::Established) << "segment " << i;
    // The legitimate peer's next segment.
    Bytes data(len);
    for (size_t k = 0; k < len; ++k)
      data[k] = stream_byte(sent + k);
    deliver(segment_from(p, Flags(Flag::Ack) | Flag::Psh, p.seq, p.ack, data));
    p.seq += static_cast<uint32_t>(len);
    sent += len;
    clock.advance(std::chrono::milliseconds(1));
    if (rng() % 3 == 0) {
      const size_t n = c.recv(got);
      for (size_t k = 0; k < n; ++k)
        ASSERT_EQ(got[k], stream_byte(received + k)) << "stream byte " << received + k;
      received += n;
    }
  }
  for (size_t n; (n = c.recv(got)) > 0; received += n)
    for (size_t k = 0; k < n; ++k)
      ASSERT_EQ(got[k], stream_byte(received + k)) << "stream byte " << received + k;
  EXPECT_EQ(received, sent);
  EXPECT_EQ(c.rcv_nxt().value(), p.seq);

  // We close first: FIN out; the peer ACKs it and sends its own FIN, so we enter TIME-WAIT.
  stack.tcp().release(*id, false, clock.now());
  stack.poll(clock.now());
  const auto fin = parse_sent(link.take_sent());
  ASSERT_EQ(fin.size(), 1u);
  ASSERT_TRUE(fin[0].h.flags.fin());
  p.ack = fin[0].h.seq + 1;
  deliver(segment_from(p, Flag::Fin | Flag::Ack, p.seq, p.ack));
  p.seq += 1;
  EXPECT_EQ(stack.tcp().time_wait_count(), 1u);
  // Blind RSTs in TIME-WAIT change nothing (RFC 5961 3 again), and TIME-WAIT ends after 2·MSL.
  for (int i = 0; i < 1000; ++i)
    deliver(segment_from(p, Flags(Flag::Rst),
                         p.seq + 1 + static_cast<uint32_t>(rng() % 0xfffffff0u), 0));
  EXPECT_EQ(stack.tcp().connection_count(), 1u);
  run_for(2 * stack.tcp().config().msl + std::chrono::seconds(1));
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
  EXPECT_FALSE(stack.poll_at().has_value());
}

}  // namespace
}  // namespace tundra::test
