// tundra-rr's exit codes, one per way a run can end, so a lab script can tell them apart without
// reading messages; main() returns them and --help lists them (exit_codes_help()).
#pragma once

#include <string>

#include "apps/common/errors.hpp"
#include "apps/common/options.hpp"

namespace tundra::rr {

// The full list, as --help prints it:
//   0  ok: every request answered
//   1  could not start (TUN device, permissions), or stopped by a signal
//   2  bad arguments
//   3  connection refused (RST to our SYN)
//   4  timed out (SYNs unanswered, --max-time)
//   5  connection reset
//   6  EADDRNOTAVAIL: connect() found no free local port (port exhaustion)
//   7  the peer closed the connection before the whole response arrived
using app::kExitFailure;
using app::kExitOk;
using app::kExitRefused;
using app::kExitReset;
using app::kExitTimedOut;
using app::kExitUsage;
constexpr int kExitNoPort = 6;
constexpr int kExitPeerClosed = 7;

// The exit code for a socket call that failed with `err`: the shared 3, 4, 5 (refused, timed out,
// reset), 6 for EADDRNOTAVAIL, 7 for EPIPE (the peer is gone), 1 for anything else.
int exit_code_for(int err);

// The table above, for the --help footer.
std::string exit_codes_help();

}  // namespace tundra::rr
