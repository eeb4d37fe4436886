// Splitting a line of the resolver's text files (hosts(5), resolv.conf(5)) into its fields.
#pragma once

#include <string_view>
#include <vector>

namespace tundra::dns {

// The blank-separated fields of `line` (comments are the caller's to remove first); blanks are
// spaces, tabs, and the stray CR of a file written on another system.
std::vector<std::string_view> fields_of(std::string_view line);

}  // namespace tundra::dns
