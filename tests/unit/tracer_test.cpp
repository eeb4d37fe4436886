// The tracer's lines read like tcpdump's, for every protocol and for malformed datagrams.
#include <gtest/gtest.h>

#include "netif/tracer.hpp"
#include "stack/wire/tcp.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kA(10, 0, 0, 1), kB(10, 0, 0, 2);

TEST(Tracer, DescribesIcmpUdpTcpFragmentsAndGarbage) {
  EXPECT_EQ(netif::describe_datagram(ip_datagram(ip_header(kA, kB, ipv4::Protocol::Icmp),
                                                 echo_request(7, 3, pattern(56)))),
            "10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 3, length 56 ttl 64");
  EXPECT_EQ(netif::describe_datagram(ip_datagram(ip_header(kA, kB, ipv4::Protocol::Udp),
                                                 udp_datagram(kA, 4000, kB, 7, pattern(5)))),
            "10.0.0.1.4000 > 10.0.0.2.7: UDP, length 5 ttl 64");

  wire::tcp::Repr t{};
  t.src_port = 40000;
  t.dst_port = 80;
  t.seq = 1000;
  t.flags = wire::tcp::Flags(wire::tcp::Flag::Syn);
  t.window = 64240;
  t.options.mss = 1460;
  t.options.sack_permitted = true;
  t.options.window_scale = 7;
  Bytes seg(t.header_len());
  t.emit(seg, kA, kB);
  EXPECT_EQ(netif::describe_datagram(ip_datagram(ip_header(kA, kB, ipv4::Protocol::Tcp), seg)),
            "10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, options [mss "
            "1460,sackOK,wscale 7], length 0 ttl 64");

  auto h = ip_header(kA, kB, ipv4::Protocol::Udp);
  h.ident = 9;
  h.frag_offset = 1480;
  EXPECT_EQ(netif::describe_datagram(ip_datagram(h, pattern(16))),
            "10.0.0.1 > 10.0.0.2: proto 17 [frag id 9 off 1480], length 16");
  EXPECT_EQ(netif::describe_datagram(pattern(10)), "malformed IPv4 (truncated header), 10 bytes");
}

}  // namespace
}  // namespace tundra::test
