// How tundra-bulk reports a failed call: the errno naming and exit codes the stream tools share
// (apps/common/errors.hpp), and which of a connection's two directions' errors to report.
#pragma once

#include "apps/common/errors.hpp"

namespace tundra::bulk {

// Exit codes 3 refused, 4 timed out, 5 reset; "ECONNREFUSED (Connection refused)".
using app::describe_errno;
using app::exit_code_for;
using app::kExitRefused;
using app::kExitReset;
using app::kExitTimedOut;

// Of two errors seen on one connection, the one that says more: a reset, a time-out or a refusal
// explains the EPIPE or end of stream the other direction saw afterwards.
int more_telling(int a, int b);

}  // namespace tundra::bulk
