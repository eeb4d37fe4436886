// One bulk transfer on a connected tundra stream socket: send a seeded pattern then shut down the
// sending side, and at the same time (a second thread) read until end of stream, hashing and
// timing each direction. Blocking calls on the socket facade, one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "apps/common/sha256.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::bulk {

struct Plan {
  std::optional<uint64_t> send;  // bytes to send; nullopt sends nothing but still shuts down
  bool receive = false;          // read until end of stream
  uint64_t seed = 1;
};

struct Direction {
  uint64_t bytes = 0;
  double seconds = 0;
  std::chrono::steady_clock::time_point started;  // when the direction's first call was made
  app::Sha256::Digest sha256{};
  int error = 0;            // errno of the call that failed, 0 when the direction completed
  std::string failed_call;  // "send", "recv", "shutdown"
};

struct Outcome {
  Direction sent, received;
  int error() const;  // the more telling of the two directions' errors, 0 when both completed
};

// Runs `plan` on `fd`; returns when both directions have finished or failed.
Outcome transfer(sock::SocketApi& api, int fd, const Plan& plan);

// "sent N bytes in T s (R Mbit/s) sha256 HEX", the line printed for a completed direction.
std::string summary(const char* verb, const Direction& d);

}  // namespace tundra::bulk
