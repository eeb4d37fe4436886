// The routing table: longest prefix wins, the default gateway covers the rest, nothing else.
#include <gtest/gtest.h>

#include "stack/ip/route.hpp"

namespace tundra::ip {
namespace {

using wire::ipv4::Address;
using wire::ipv4::Cidr;

TEST(Routes, OnLinkThenGateway) {
  Routes r;
  r.add(Route{Cidr{Address(10, 0, 0, 2), 24}, std::nullopt});
  EXPECT_FALSE(r.lookup(Address(8, 8, 8, 8)));
  auto on = r.lookup(Address(10, 0, 0, 77));
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->on_link);
  EXPECT_EQ(on->address, Address(10, 0, 0, 77));
  r.set_default_gateway(Address(10, 0, 0, 1));
  auto far = r.lookup(Address(8, 8, 8, 8));
  ASSERT_TRUE(far);
  EXPECT_FALSE(far->on_link);
  EXPECT_EQ(far->address, Address(10, 0, 0, 1));
  // The on-link prefix still wins for its own addresses.
  EXPECT_TRUE(r.lookup(Address(10, 0, 0, 5))->on_link);
}

TEST(Routes, LongestPrefixWinsWhateverTheOrderAdded) {
  Routes r;
  r.add(Route{Cidr{Address(10, 0, 0, 0), 8}, Address(10, 0, 0, 1)});
  r.add(Route{Cidr{Address(10, 1, 2, 0), 24}, Address(10, 0, 0, 9)});
  r.add(Route{Cidr{Address(10, 1, 0, 0), 16}, Address(10, 0, 0, 5)});
  EXPECT_EQ(r.lookup(Address(10, 1, 2, 3))->address, Address(10, 0, 0, 9));
  EXPECT_EQ(r.lookup(Address(10, 1, 3, 3))->address, Address(10, 0, 0, 5));
  EXPECT_EQ(r.lookup(Address(10, 2, 3, 3))->address, Address(10, 0, 0, 1));
  // Replacing a prefix keeps one entry.
  r.add(Route{Cidr{Address(10, 1, 2, 99), 24}, Address(10, 0, 0, 7)});
  EXPECT_EQ(r.routes().size(), 3u);
  EXPECT_EQ(r.lookup(Address(10, 1, 2, 3))->address, Address(10, 0, 0, 7));
}

}  // namespace
}  // namespace tundra::ip
