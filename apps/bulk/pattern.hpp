// The data tundra-bulk sends: a deterministic pseudo-random byte stream from a seed, so a run can
// be repeated and both ends' digests compared, and cheap enough (splitmix64) not to limit a flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tundra::bulk {

class Pattern {
 public:
  explicit Pattern(uint64_t seed) : state_(seed) {}
  // Writes the next out.size() bytes of the stream. Blocks must be multiples of 8 bytes except
  // the last, because a partial word's remaining bytes are dropped.
  void fill(std::span<std::byte> out);

 private:
  uint64_t next();
  uint64_t state_;
};

}  // namespace tundra::bulk
