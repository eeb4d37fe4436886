// Parsing the hosts file (hosts(5)) and looking names up in it, for the resolver.
#include "stack/dns/hosts.hpp"

#include <algorithm>

#include "stack/dns/fields.hpp"

namespace tundra::dns {
namespace {

char fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view without_trailing_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace

bool host_names_equal(std::string_view a, std::string_view b) {
  a = without_trailing_dot(a);
  b = without_trailing_dot(b);
  if (a.empty() || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

HostsFile HostsFile::parse(std::string_view text) {
  HostsFile file;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    const auto fields = fields_of(line);
    if (fields.size() < 2) continue;  // blank, comment, or an address that names nobody
    if (fields[0].find(':') != std::string_view::npos) continue;  // IPv6: not ours to use
    const auto address = wire::ipv4::Address::parse(fields[0]);
    if (!address) continue;  // malformed: skip the line, keep the file
    HostsEntry entry{*address, {}};
    for (size_t i = 1; i < fields.size(); ++i)
      entry.names.emplace_back(fields[i]);
    file.entries_.push_back(std::move(entry));
  }
  return file;
}

std::vector<wire::ipv4::Address> HostsFile::lookup(std::string_view name) const {
  std::vector<wire::ipv4::Address> out;
  for (const HostsEntry& e : entries_) {
    const bool match = std::any_of(e.names.begin(), e.names.end(),
                                   [&](const std::string& n) { return host_names_equal(n, name); });
    if (match && std::find(out.begin(), out.end(), e.address) == out.end())
      out.push_back(e.address);
  }
  return out;
}

}  // namespace tundra::dns
