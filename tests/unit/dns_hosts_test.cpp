// The hosts file parser and lookup (stack/dns/hosts.hpp): comments, blanks and tabs, several names
// a line, IPv6 and malformed lines skipped, case-insensitive names, every address in file order.
#include <gtest/gtest.h>

#include "stack/dns/hosts.hpp"

namespace tundra::dns {
namespace {

using wire::ipv4::Address;

const char* const kHosts =
    "# The following lines are desirable for IPv4 capable hosts\n"
    "127.0.0.1\tlocalhost\n"
    "\n"
    "   \t  \n"
    "10.0.0.1   gateway.example   gw  # the router\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "fe00::0 ip6-localnet\n"
    "10.0.0.300 broken.example\n"
    "10.0.0.7\n"
    "not-an-address web.example\n"
    "10.0.0.2\tWeb.Example\twww\r\n"
    "10.0.0.3 web.example\n"
    "10.0.0.2 web.example\n"
    "#10.0.0.9 commented.example\n"
    "10.0.0.4 last.example";  // no newline at the end

TEST(DnsHosts, ParsesGoodLinesAndSkipsTheRest) {
  const HostsFile f = HostsFile::parse(kHosts);
  ASSERT_EQ(f.entries().size(), 6u);
  EXPECT_EQ(f.entries()[0].address, Address(127, 0, 0, 1));
  EXPECT_EQ(f.entries()[0].names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(f.entries()[1].names, (std::vector<std::string>{"gateway.example", "gw"}));
  EXPECT_EQ(f.entries()[2].names, (std::vector<std::string>{"Web.Example", "www"}));
}

TEST(DnsHosts, LooksUpAnyNameOnTheLineWithoutCase) {
  const HostsFile f = HostsFile::parse(kHosts);
  EXPECT_EQ(f.lookup("gw"), std::vector<Address>{Address(10, 0, 0, 1)});
  EXPECT_EQ(f.lookup("GATEWAY.example"), std::vector<Address>{Address(10, 0, 0, 1)});
  EXPECT_EQ(f.lookup("gateway.example."), std::vector<Address>{Address(10, 0, 0, 1)});
  EXPECT_EQ(f.lookup("last.example"), std::vector<Address>{Address(10, 0, 0, 4)});
  EXPECT_EQ(f.lookup("localhost"), std::vector<Address>{Address(127, 0, 0, 1)});
}

TEST(DnsHosts, CollectsEveryAddressInFileOrderOnce) {
  const HostsFile f = HostsFile::parse(kHosts);
  EXPECT_EQ(f.lookup("web.example"),
            (std::vector<Address>{Address(10, 0, 0, 2), Address(10, 0, 0, 3)}));
}

TEST(DnsHosts, UnknownSkippedAndCommentedNamesAreNotFound) {
  const HostsFile f = HostsFile::parse(kHosts);
  EXPECT_TRUE(f.lookup("ip6-localhost").empty());
  EXPECT_TRUE(f.lookup("broken.example").empty());
  EXPECT_TRUE(f.lookup("commented.example").empty());
  EXPECT_TRUE(f.lookup("nowhere.example").empty());
  EXPECT_TRUE(f.lookup("").empty());
  EXPECT_TRUE(f.lookup("gateway").empty());  // names are whole, not prefixes
  EXPECT_TRUE(HostsFile::parse("").entries().empty());
}

TEST(DnsHosts, NameComparison) {
  EXPECT_TRUE(host_names_equal("A.b", "a.B."));
  EXPECT_FALSE(host_names_equal("a.b", "a.bc"));
  EXPECT_FALSE(host_names_equal(".", ""));
}

}  // namespace
}  // namespace tundra::dns
