// How the stream tools (tundra-bulk, tundra-rr) report a failed socket call: the errno's name and
// text on one line, and the exit code that tells scripts what happened (refused, timed out, reset)
// without parsing the message. tundra-fetch keeps an exit-code table of its own
// (apps/fetch/exit_codes.hpp) and shares describe_errno.
#pragma once

#include <string>

namespace tundra::app {

constexpr int kExitRefused = 3;   // ECONNREFUSED
constexpr int kExitTimedOut = 4;  // ETIMEDOUT, or --max-time ran out
constexpr int kExitReset = 5;     // ECONNRESET

// "ECONNREFUSED (Connection refused)".
std::string describe_errno(int err);
// 0 for no error; 3, 4, 5 for the errors above; 1 (kExitFailure) for any other.
int exit_code_for(int err);

}  // namespace tundra::app
