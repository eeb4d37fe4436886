// Tests of tundra-rr's output lines (per request, summary, key=value, failures) and its exit codes,
// including the errno naming it shares with tundra-bulk (apps/common/errors).
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "apps/common/errors.hpp"
#include "apps/rr/exit_codes.hpp"
#include "apps/rr/report.hpp"

namespace tundra::rr {
namespace {

TEST(RrReport, FormatMs) {
  EXPECT_EQ(format_ms(41.24), "41.2");
  EXPECT_EQ(format_ms(0.312), "0.31");
  EXPECT_EQ(format_ms(9.999), "10.00");
  EXPECT_EQ(format_ms(10), "10.0");
}

TEST(RrReport, RequestLine) {
  EXPECT_EQ(request_line(7, 1, "10.0.0.2:49160", 41.2),
            "request 7 conn 1 local 10.0.0.2:49160 latency 41.2 ms");
}

TEST(RrReport, SummaryOfACompleteRun) {
  Totals t;
  t.planned = 3;
  t.connections = 1;
  t.seconds = 0.8424;
  t.latencies_ms = {0.3, 40.1, 41.3};
  EXPECT_EQ(summary_line(t),
            "3 requests on 1 connection in 0.842 s: latency min 0.30 ms, median 40.1 ms, p90 "
            "41.1 ms, max 41.3 ms");
  EXPECT_EQ(summary_kv(t),
            "requests=3 connections=1 failed=0 planned=3 seconds=0.842 min_ms=0.300 "
            "median_ms=40.100 p90_ms=41.060 max_ms=41.300 mean_ms=27.233 exit=0");
}

TEST(RrReport, SummaryOfARunCutShort) {
  Totals t;
  t.planned = 30;
  t.connections = 10;
  t.failed = 1;
  t.seconds = 0.05;
  t.exit_code = kExitNoPort;
  t.latencies_ms = std::vector<double>(10, 2.0);
  EXPECT_EQ(summary_line(t),
            "10 of 30 requests on 10 connections in 0.050 s: latency min 2.00 ms, median 2.00 "
            "ms, p90 2.00 ms, max 2.00 ms, 1 failed");
  EXPECT_EQ(summary_kv(t).rfind("requests=10 connections=10 failed=1 planned=30 ", 0), 0u);
  EXPECT_NE(summary_kv(t).find(" exit=6"), std::string::npos);
}

TEST(RrReport, SummaryWithNothingMeasured) {
  Totals t;
  t.planned = 1;
  t.failed = 1;
  t.exit_code = kExitRefused;
  EXPECT_EQ(summary_line(t),
            "0 of 1 request on 0 connections in 0.000 s: no latency measured, 1 failed");
  EXPECT_EQ(summary_kv(t),
            "requests=0 connections=0 failed=1 planned=1 seconds=0.000 min_ms=nan median_ms=nan "
            "p90_ms=nan max_ms=nan mean_ms=nan exit=3");
}

TEST(RrReport, FailureMessages) {
  Failure f;
  f.call = "connect";
  f.err = EADDRNOTAVAIL;
  f.connections = 100;
  EXPECT_EQ(failure_message(f, "10.0.0.1:7000"),
            "connect 10.0.0.1:7000: EADDRNOTAVAIL (Cannot assign requested address) after 100 "
            "connections");
  f.connections = 0;
  f.err = ECONNREFUSED;
  EXPECT_EQ(failure_message(f, "10.0.0.1:7000"),
            "connect 10.0.0.1:7000: ECONNREFUSED (Connection refused)");
  f.connections = 1;
  EXPECT_EQ(failure_message(f, "10.0.0.1:7000"),
            "connect 10.0.0.1:7000: ECONNREFUSED (Connection refused) after 1 connection");

  Failure r;
  r.call = "recv";
  r.err = ECONNRESET;
  r.request = 3;
  r.conn = 1;
  EXPECT_EQ(failure_message(r, "10.0.0.1:7000"),
            "recv 10.0.0.1:7000: ECONNRESET (Connection reset by peer) in request 3 on "
            "connection 1");
  r.err = 0;
  r.eof = true;
  r.got = 40;
  r.expected = 100;
  EXPECT_EQ(failure_message(r, "10.0.0.1:7000"),
            "recv 10.0.0.1:7000: the peer closed the connection after 40 of 100 response bytes "
            "in request 3 on connection 1");

  Failure s;
  s.call = "socket";
  s.err = EMFILE;
  EXPECT_EQ(failure_message(s, "10.0.0.1:7000"), "socket: EMFILE (Too many open files)");
}

TEST(RrExitCodes, AllDistinctAndListed) {
  const std::set<int> codes{kExitOk,       kExitFailure, kExitUsage,  kExitRefused,
                            kExitTimedOut, kExitReset,   kExitNoPort, kExitPeerClosed};
  EXPECT_EQ(codes.size(), 8u);
  EXPECT_EQ(*codes.rbegin(), 7);
  const std::string help = exit_codes_help();
  for (int c : codes)
    EXPECT_NE(help.find(" " + std::to_string(c) + "  "), std::string::npos) << c;
  EXPECT_NE(help.find("EADDRNOTAVAIL"), std::string::npos);
}

TEST(RrExitCodes, FromErrno) {
  EXPECT_EQ(exit_code_for(0), 0);
  EXPECT_EQ(exit_code_for(ECONNREFUSED), 3);
  EXPECT_EQ(exit_code_for(ETIMEDOUT), 4);
  EXPECT_EQ(exit_code_for(ECONNRESET), 5);
  EXPECT_EQ(exit_code_for(EADDRNOTAVAIL), 6);
  EXPECT_EQ(exit_code_for(EPIPE), 7);
  EXPECT_EQ(exit_code_for(EBADF), 1);
}

// The shared part, as tundra-bulk sees it too.
TEST(StreamToolErrors, SharedNamingAndCodes) {
  EXPECT_EQ(app::describe_errno(ECONNREFUSED), "ECONNREFUSED (Connection refused)");
  EXPECT_EQ(app::describe_errno(EADDRNOTAVAIL), "EADDRNOTAVAIL (Cannot assign requested address)");
  EXPECT_EQ(app::exit_code_for(ECONNREFUSED), app::kExitRefused);
  EXPECT_EQ(app::exit_code_for(ETIMEDOUT), app::kExitTimedOut);
  EXPECT_EQ(app::exit_code_for(ECONNRESET), app::kExitReset);
  EXPECT_EQ(app::exit_code_for(EPIPE), app::kExitFailure);
  EXPECT_EQ(app::exit_code_for(EADDRNOTAVAIL), app::kExitFailure);  // tundra-rr says 6 itself
}

}  // namespace
}  // namespace tundra::rr
