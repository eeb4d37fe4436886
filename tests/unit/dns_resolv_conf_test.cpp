// resolv.conf parsing (stack/dns/resolv_conf.hpp): IPv4 nameservers in order (at most three),
// IPv6 and bad ones skipped, glibc's "options timeout:N attempts:N" with its clamps.
#include <gtest/gtest.h>

#include "stack/dns/resolv_conf.hpp"

namespace tundra::dns {
namespace {

using wire::ipv4::Address;

TEST(DnsResolvConf, NameserversInOrderIpv4Only) {
  const auto c = ResolvConf::parse(
      "# generated\n"
      "; also a comment\n"
      "search example.com\n"
      "nameserver 2001:db8::1\n"
      "nameserver\t10.0.0.1\n"
      "nameserver 10.0.0.300\n"
      "nameserver\n"
      "nameserver 10.0.0.2 # trailing words are ignored\n"
      "  nameserver 10.0.0.3\n"
      "nameserver 10.0.0.4\n");
  EXPECT_EQ(c.nameservers, (std::vector<Address>{Address(10, 0, 0, 1), Address(10, 0, 0, 2),
                                                 Address(10, 0, 0, 3)}));
  EXPECT_FALSE(c.timeout);
  EXPECT_FALSE(c.attempts);
}

TEST(DnsResolvConf, OptionsTimeoutAndAttempts) {
  const auto c = ResolvConf::parse("options ndots:2 timeout:1 rotate attempts:4\n");
  ASSERT_TRUE(c.timeout);
  EXPECT_EQ(*c.timeout, std::chrono::seconds(1));
  ASSERT_TRUE(c.attempts);
  EXPECT_EQ(*c.attempts, 4);
}

TEST(DnsResolvConf, OptionsAreClampedAndTheLastWins) {
  const auto c = ResolvConf::parse(
      "options timeout:5 attempts:2\n"
      "options timeout:99 attempts:0\n");
  EXPECT_EQ(*c.timeout, std::chrono::seconds(30));
  EXPECT_EQ(*c.attempts, 1);
  const auto huge = ResolvConf::parse("options attempts:99999999999999999999\n");
  EXPECT_EQ(*huge.attempts, 5);
}

TEST(DnsResolvConf, MalformedOptionsAreIgnored) {
  const auto c = ResolvConf::parse(
      "options timeout: attempts:x timeout:-1 timeout:2s attempts timeouts:3\n"
      "#options timeout:7\n");
  EXPECT_FALSE(c.timeout);
  EXPECT_FALSE(c.attempts);
  EXPECT_TRUE(ResolvConf::parse("").nameservers.empty());
}

}  // namespace
}  // namespace tundra::dns
