// splitmix64 (Steele, Lea and Flood's SplitMix finaliser on a Weyl sequence), written out in
// little-endian 64-bit words.
#include "apps/bulk/pattern.hpp"

#include <cstring>

namespace tundra::bulk {

uint64_t Pattern::next() {
  state_ += 0x9e3779b97f4a7c15ull;  // the golden ratio's increment: every state visited once
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void Pattern::fill(std::span<std::byte> out) {
  size_t i = 0;
  for (; i + 8 <= out.size(); i += 8) {
    const uint64_t v = next();
    for (int k = 0; k < 8; ++k)
      out[i + static_cast<size_t>(k)] = static_cast<std::byte>(v >> (8 * k));
  }
  if (i < out.size()) {
    const uint64_t v = next();
    for (int k = 0; i < out.size(); ++i, ++k)
      out[i] = static_cast<std::byte>(v >> (8 * k));
  }
}

}  // namespace tundra::bulk
