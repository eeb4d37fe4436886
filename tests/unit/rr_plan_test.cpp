// Tests of tundra-rr's plan: argument checks (each names its option) and which connection carries
// which request, with keep-alive and with --per-connection.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "apps/rr/plan.hpp"

namespace tundra::rr {
namespace {

Plan ok(const PlanArgs& a) {
  auto r = make_plan(a);
  EXPECT_TRUE(std::holds_alternative<Plan>(r)) << std::get<std::string>(r);
  return std::holds_alternative<Plan>(r) ? std::get<Plan>(r) : Plan{};
}

std::string error(const PlanArgs& a) {
  auto r = make_plan(a);
  EXPECT_TRUE(std::holds_alternative<std::string>(r));
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
}

TEST(RrPlan, Defaults) {
  const Plan p = ok(PlanArgs{});
  EXPECT_EQ(p.requests, 20u);
  EXPECT_EQ(p.writes, 2u);
  EXPECT_EQ(p.write_size, 100u);
  EXPECT_EQ(p.response_size, 100u);
  EXPECT_EQ(p.per_connection, 0u);
  EXPECT_EQ(p.interval_ms, 0);
  EXPECT_EQ(p.request_bytes(), 200u);
  EXPECT_EQ(p.connections(), 1u);
  EXPECT_EQ(p.describe(),
            "20 requests of 2 writes x 100 bytes, 100-byte responses, all on one connection");
}

TEST(RrPlan, SizesTakeUnits) {
  PlanArgs a;
  a.write_size = "1KiB";
  a.response_size = "1MiB";
  a.writes = 3;
  const Plan p = ok(a);
  EXPECT_EQ(p.write_size, 1024u);
  EXPECT_EQ(p.response_size, 1u << 20);
  EXPECT_EQ(p.request_bytes(), 3072u);
}

TEST(RrPlan, ZeroResponseIsAllowed) {
  PlanArgs a;
  a.response_size = "0";
  EXPECT_EQ(ok(a).response_size, 0u);
}

TEST(RrPlan, BadArgumentsNameTheirOption) {
  PlanArgs a;
  a.requests = 0;
  EXPECT_EQ(error(a), "--requests: 0 is not in 1..10000000");
  a = {};
  a.writes = 0;
  EXPECT_EQ(error(a).rfind("--writes:", 0), 0u);
  a = {};
  a.writes = kMaxWrites + 1;
  EXPECT_EQ(error(a).rfind("--writes:", 0), 0u);
  a = {};
  a.write_size = "abc";
  EXPECT_EQ(error(a), "--write-size: 'abc' is not a byte count");
  a = {};
  a.write_size = "0";
  EXPECT_EQ(error(a).rfind("--write-size: 0 is not in", 0), 0u);
  a = {};
  a.write_size = "65MiB";
  EXPECT_EQ(error(a).rfind("--write-size:", 0), 0u);
  a = {};
  a.writes = 100;
  a.write_size = "64MiB";  // 6.4 GB per request
  EXPECT_EQ(error(a).rfind("--writes x --write-size:", 0), 0u);
  a = {};
  a.response_size = "-1";
  EXPECT_EQ(error(a), "--response-size: '-1' is not a byte count");
  a = {};
  a.response_size = "2GiB";
  EXPECT_EQ(error(a).rfind("--response-size:", 0), 0u);
  a = {};
  a.interval_ms = -1;
  EXPECT_EQ(error(a).rfind("--interval:", 0), 0u);
}

TEST(RrPlan, KeepAliveUsesOneConnection) {
  const Plan p = ok(PlanArgs{});
  for (uint32_t r = 1; r <= p.requests; ++r) {
    EXPECT_EQ(p.connection_of(r), 1u);
    EXPECT_EQ(p.opens_connection(r), r == 1) << r;
    EXPECT_EQ(p.closes_connection(r), r == p.requests) << r;
  }
}

TEST(RrPlan, OneRequestPerConnection) {
  PlanArgs a;
  a.per_connection = 1;
  a.requests = 5;
  const Plan p = ok(a);
  EXPECT_EQ(p.connections(), 5u);
  for (uint32_t r = 1; r <= 5; ++r) {
    EXPECT_EQ(p.connection_of(r), r);
    EXPECT_TRUE(p.opens_connection(r));
    EXPECT_TRUE(p.closes_connection(r));
  }
  EXPECT_EQ(p.describe(),
            "5 requests of 2 writes x 100 bytes, 100-byte responses, 1 per connection (5 "
            "connections)");
}

TEST(RrPlan, LastConnectionMayBeShort) {
  PlanArgs a;
  a.per_connection = 3;
  a.requests = 7;  // 3 + 3 + 1
  const Plan p = ok(a);
  EXPECT_EQ(p.connections(), 3u);
  const uint32_t conn[] = {0, 1, 1, 1, 2, 2, 2, 3};
  for (uint32_t r = 1; r <= 7; ++r) {
    EXPECT_EQ(p.connection_of(r), conn[r]) << r;
    EXPECT_EQ(p.opens_connection(r), r == 1 || r == 4 || r == 7) << r;
    EXPECT_EQ(p.closes_connection(r), r == 3 || r == 6 || r == 7) << r;
  }
}

TEST(RrPlan, MorePerConnectionThanRequestsIsOneConnection) {
  PlanArgs a;
  a.per_connection = 50;
  a.requests = 1;
  a.writes = 1;
  const Plan p = ok(a);
  EXPECT_EQ(p.connections(), 1u);
  EXPECT_TRUE(p.opens_connection(1));
  EXPECT_TRUE(p.closes_connection(1));
  EXPECT_EQ(p.describe(),
            "1 request of 1 write x 100 bytes, 100-byte responses, all on one connection");
}

}  // namespace
}  // namespace tundra::rr
