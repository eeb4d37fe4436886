// libFuzzer target for the TCP input path: each input is a few records, each a TCP segment (sent
// inside a valid IPv4 datagram with its checksum fixed up, so it reaches the state machine) or a
// raw IPv4 datagram, fed to a fresh Stack that has a listener and one established connection.
// After the records, the simulated clock runs on a little, and everything is torn down: any
// connection slot left behind is a leak, reported as a crash.
//
// Record: mode (1 byte), length (2 bytes, big-endian), then that many bytes (or what is left).
// mode bits 0-1: 0 = segment on the established connection: ports are set to its 4-tuple and
//                    seq/ack are offsets from RCV.NXT / SND.UNA, so in-window values are easy;
//                1 = segment to the listener's port from a fresh address, fields as given;
//                2 = segment from the established peer's address, fields as given;
//                3 = raw IPv4 datagram.
//      bit 2:    keep the TCP checksum as given instead of fixing it.
//      bit 3:    the application reads what it can and writes a little.
//      bits 4-7: then the clock moves on by that many times 50 ms.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/stack.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/tcp.hpp"
#include "support/packets.hpp"
#include "violated.hpp"

namespace {

using namespace tundra;
using test::Bytes;
namespace tcpw = wire::tcp;
namespace ipv4 = wire::ipv4;

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);
constexpr uint16_t kPort = 80, kPeerPort = 40000;
constexpr uint8_t kTcp = 6;
constexpr size_t kMaxRecords = 16;

using fuzz::violated;

Bytes segment(tcpw::Repr h, const Bytes& payload, ipv4::Address src) {
  h.payload_len = payload.size();
  Bytes seg(h.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), seg.begin() + static_cast<long>(h.header_len()));
  h.emit(seg, src, kUs);
  return seg;
}

void fix_checksum(Bytes& seg, ipv4::Address src) {
  if (seg.size() < tcpw::kMinHeaderLen || seg.size() > ipv4::kMaxPacketLen - 20) return;
  seg[16] = seg[17] = std::byte{0};
  const uint32_t pseudo =
      wire::checksum::pseudo_header(src, kUs, kTcp, static_cast<uint16_t>(seg.size()));
  const auto c =
      static_cast<uint16_t>(~wire::checksum::fold(wire::checksum::accumulate(seg, pseudo)));
  seg[16] = std::byte(c >> 8);
  seg[17] = std::byte(c & 0xff);
}

void put32(Bytes& seg, size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i)
    seg[at + i] = std::byte(static_cast<uint8_t>(v >> (24 - 8 * i)));
}
uint32_t get32(const Bytes& seg, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    v = v << 8 | std::to_integer<uint32_t>(seg[at + i]);
  return v;
}

struct World {
  SimClock clock;
  test::CaptureLink link;
  Stack stack;
  tcp::ListenerId listener = 0;
  tcp::ConnId conn = 0;
  tcp::FourTuple tuple;

  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.ipv4.gateway = kPeer;
    c.seed = 1;
    c.tcp.syn_queue = 16;  // small, so inputs reach the full-queue paths
    return c;
  }

  World() : stack(link, config()) {
    listener = *stack.tcp().listen(tcp::Endpoint{{}, kPort}, 4);
    // A handshake by hand: SYN (with every option), SYN-ACK, ACK; then accept().
    tcpw::Repr syn;
    syn.src_port = kPeerPort;
    syn.dst_port = kPort;
    syn.seq = 1'000'000;
    syn.flags = tcpw::Flags(tcpw::Flag::Syn);
    syn.window = 65535;
    syn.options.mss = 1460;
    syn.options.window_scale = 7;
    syn.options.sack_permitted = true;
    syn.options.timestamps = tcpw::Timestamps{100, 0};
    const auto sent = deliver(test::ip_datagram(test::ip_header(kPeer, kUs, ipv4::Protocol::Tcp),
                                                segment(syn, {}, kPeer)));
    if (sent.size() != 1) violated("setup: no SYN-ACK");
    const auto synack = tcpw::Repr::parse(std::span(sent[0]).subspan(20), kUs, kPeer);
    if (!synack) violated("setup: bad SYN-ACK");
    tcpw::Repr ack;
    ack.src_port = kPeerPort;
    ack.dst_port = kPort;
    ack.seq = syn.seq + 1;
    ack.ack = synack->seq + 1;
    ack.flags = tcpw::Flags(tcpw::Flag::Ack);
    ack.window = 512;  // 64 KiB with the scale
    ack.options.timestamps = tcpw::Timestamps{101, synack->options.timestamps->tsval};
    deliver(test::ip_datagram(test::ip_header(kPeer, kUs, ipv4::Protocol::Tcp),
                              segment(ack, {}, kPeer)));
    const auto id = stack.tcp().accept(listener);
    if (!id) violated("setup: handshake did not complete");
    conn = *id;
    tuple = stack.tcp().find(conn)->tuple();
    // Data in flight, so ACKs, SACK blocks and retransmissions have something to work on.
    write(3000);
  }

  // Feeds one datagram and returns what the stack sent back.
  std::vector<Bytes> deliver(Bytes datagram) {
    link.inject(std::move(datagram));
    stack.poll(clock.now());
    return link.take_sent();
  }

  void write(size_t n) {
    if (tcp::Connection* c = stack.tcp().find(conn)) {
      c->send(test::pattern(n));
      stack.tcp().touch(conn);
      stack.poll(clock.now());
      link.take_sent();
    }
  }

  void read() {
    if (tcp::Connection* c = stack.tcp().find(conn)) {
      std::byte buf[2048];
      while (c->recv(buf) > 0) {
      }
      stack.tcp().touch(conn);
    }
  }

  void record(uint8_t mode, const uint8_t* data, size_t len, size_t index) {
    len = std::min<size_t>(len, ipv4::kMaxPacketLen - ipv4::kMinHeaderLen);  // fits a datagram
    Bytes bytes(len);
    for (size_t i = 0; i < len; ++i)
      bytes[i] = std::byte{data[i]};
    const unsigned kind = mode & 3u;
    if (kind == 3) {
      link.inject(std::move(bytes));
    } else {
      const ipv4::Address src =
          kind == 1 ? ipv4::Address(10, 0, 1, static_cast<uint8_t>(1 + index)) : kPeer;
      if (kind == 0 && bytes.size() >= tcpw::kMinHeaderLen) {
        const tcp::Connection* c = stack.tcp().find(conn);
        const uint32_t rcv_nxt = c ? c->rcv_nxt().value() : 0;
        const uint32_t snd_una = c ? c->snd_una().value() : 0;
        bytes[0] = std::byte{kPeerPort >> 8};
        bytes[1] = std::byte{kPeerPort & 0xff};
        bytes[2] = std::byte{0};
        bytes[3] = std::byte{kPort};
        put32(bytes, 4, get32(bytes, 4) + rcv_nxt);
        put32(bytes, 8, get32(bytes, 8) + snd_una);
      }
      if (!(mode & 4u)) fix_checksum(bytes, src);
      link.inject(test::ip_datagram(test::ip_header(src, kUs, ipv4::Protocol::Tcp), bytes));
    }
    stack.poll(clock.now());
    link.take_sent();
    if (mode & 8u) {
      read();
      write(100);
    }
    clock.advance(std::chrono::milliseconds(50 * (mode >> 4)));
    stack.poll(clock.now());
    link.take_sent();
    // Memory stays bounded: half-open connections by the SYN queue, established ones by the
    // accept queue (and a few that completed while it filled), plus ours.
    const auto& cfg = stack.tcp().config();
    if (stack.tcp().connection_count() > 2 * cfg.syn_queue + 4 + 1)
      violated("more connections than the SYN and accept queues allow");
  }

  // A few of the timers that are due soon, then everyone closes; every slot must be freed.
  void finish() {
    for (int i = 0; i < 4; ++i) {
      const auto next = stack.poll_at();
      if (!next || *next > clock.now() + std::chrono::seconds(3)) break;
      clock.set(*next);
      stack.poll(clock.now());
      link.take_sent();
    }
    stack.tcp().close_listener(listener, clock.now());
    stack.tcp().release(conn, true, clock.now());
    stack.poll(clock.now());
    link.take_sent();
    // Connections the input opened without the listener (none should exist) or that are
    // closing on their own run out within the retransmission budget.
    for (int i = 0; i < 10000 && stack.tcp().connection_count() > 0; ++i) {
      const auto next = stack.poll_at();
      if (!next) break;
      clock.set(std::max(*next, clock.now() + Duration(1)));
      stack.poll(clock.now());
      link.take_sent();
    }
    if (stack.tcp().connection_count() != 0) violated("connection slots left after teardown");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World w;
  size_t at = 0;
  for (size_t n = 0; n < kMaxRecords && at + 3 <= size; ++n) {
    const uint8_t mode = data[at];
    const size_t len = std::min<size_t>(size_t{data[at + 1]} << 8 | data[at + 2], size - at - 3);
    w.record(mode, data + at + 3, len, n);
    at += 3 + len;
  }
  w.finish();
  return 0;
}
