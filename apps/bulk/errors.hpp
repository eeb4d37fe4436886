// How tundra-bulk reports a failed call: the errno's name and text on one line, and the exit code
// that tells scripts what happened (refused, timed out, reset) without parsing the message.
#pragma once

#include <string>

namespace tundra::bulk {

constexpr int kExitRefused = 3;   // ECONNREFUSED
constexpr int kExitTimedOut = 4;  // ETIMEDOUT, or --max-time ran out
constexpr int kExitReset = 5;     // ECONNRESET

// "ECONNREFUSED (Connection refused)".
std::string describe_errno(int err);
// 3, 4, 5 for the errors above, 1 (kExitFailure) for any other.
int exit_code_for(int err);
// Of two errors seen on one connection, the one that says more: a reset, a time-out or a refusal
// explains the EPIPE or end of stream the other direction saw afterwards.
int more_telling(int a, int b);

}  // namespace tundra::bulk
