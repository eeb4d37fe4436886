// Byte counts on the command line ("64MiB", "1G", "1500"): programs that move bulk data take sizes
// the way people write them. K, M, G and KiB, MiB, GiB are powers of 1024; kB, MB, GB of 1000.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tundra::app {

// The number of bytes `text` names, or nullopt when it is not a size or overflows 64 bits.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace tundra::app
