// What tundra-rr prints on stdout: one line per request with -v, and at the end a summary for a
// student followed by the same numbers as key=value pairs for a script. Formatting only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tundra::rr {

// Why a run stopped early: the call that failed and where.
struct Failure {
  std::string call;          // "socket", "connect", "send", "recv"
  int err = 0;               // its errno; 0 when the peer closed the stream (eof)
  bool eof = false;          // recv() saw end of stream before the whole response
  uint64_t got = 0;          // with eof: response bytes read before it
  uint64_t expected = 0;     // with eof: response bytes expected
  uint32_t request = 0;      // the request it happened in (1-based)
  uint32_t conn = 0;         // the connection it happened on (1-based; connect: the one to open)
  uint32_t connections = 0;  // connections opened before it
};

struct Totals {
  uint32_t planned = 0;      // requests the plan asked for
  uint32_t connections = 0;  // connections opened (connect() succeeded)
  uint32_t failed = 0;       // requests begun but not answered (the run stops at the first)
  double seconds = 0;        // the whole run, connects and pauses included
  int exit_code = 0;
  std::vector<double> latencies_ms;  // one per answered request, in order
};

// Milliseconds as a person reads them: "41.2", "0.31" (two decimals below 10 ms).
std::string format_ms(double ms);

// "request 7 conn 1 local 10.0.0.2:49160 latency 41.2 ms".
std::string request_line(uint32_t request, uint32_t conn, std::string_view local, double ms);

// "20 requests on 1 connection in 0.842 s: latency min 0.31 ms, median 40.1 ms, p90 41.0 ms,
// max 41.3 ms"; a run cut short says "10 of 30 requests on …".
std::string summary_line(const Totals& t);

// One line for stderr (after "tundra-rr: "), naming the call, the peer and the errno:
//   "connect 10.0.0.1:7000: EADDRNOTAVAIL (Cannot assign requested address) after 100 connections"
//   "recv 10.0.0.1:7000: ECONNRESET (Connection reset by peer) in request 3 on connection 1"
//   "recv 10.0.0.1:7000: the peer closed the connection after 40 of 100 response bytes in …"
std::string failure_message(const Failure& f, std::string_view peer);

// "requests=20 connections=1 failed=0 planned=20 seconds=0.842 min_ms=0.312 median_ms=40.100
// p90_ms=41.000 max_ms=41.300 mean_ms=38.512 exit=0" (latencies are "nan" when none was
// measured).
std::string summary_kv(const Totals& t);

}  // namespace tundra::rr
