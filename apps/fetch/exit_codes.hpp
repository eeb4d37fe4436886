// tundra-fetch's exit codes, one per kind of failure so a script can tell them apart without
// reading messages; main() returns them and --help lists them (exit_codes_help()).
#pragma once

#include "apps/common/errors.hpp"

#include <string>

namespace tundra::fetch {

// The full list, as --help prints it:
//    0  ok
//    1  could not start (TUN device, permissions)
//    2  bad arguments
//    3  bad URL (including https: "https is not supported")
//    4  host name not resolved
//    5  connection refused (RST to our SYN)
//    6  timed out (--connect-timeout, --max-time, SYNs unanswered)
//    7  connection reset, or a malformed or truncated response
//    8  HTTP status >= 400 with --fail
//    9  too many redirects (--max-redirs)
//   10  could not write the output
constexpr int kExitOk = 0;
constexpr int kExitStart = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBadUrl = 3;
constexpr int kExitResolve = 4;
constexpr int kExitRefused = 5;
constexpr int kExitTimedOut = 6;
constexpr int kExitBadResponse = 7;
constexpr int kExitHttpError = 8;
constexpr int kExitTooManyRedirects = 9;
constexpr int kExitWrite = 10;

// The exit code for a socket call that failed with `err`: refused 5, timed out 6 (ETIMEDOUT,
// and EAGAIN/EINPROGRESS from a call whose time limit ran out), reset 7 (ECONNRESET, EPIPE);
// anything else is a local failure, 1.
int exit_code_for_errno(int err);

// "ECONNREFUSED (Connection refused)": the programs' shared spelling.
using app::describe_errno;

// The table above, for the --help footer.
std::string exit_codes_help();

}  // namespace tundra::fetch
