// Splitting a line of the resolver's text files into its fields (see fields.hpp).
#include "stack/dns/fields.hpp"

namespace tundra::dns {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i]))
      ++i;
    const size_t start = i;
    while (i < line.size() && !is_blank(line[i]))
      ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace tundra::dns
