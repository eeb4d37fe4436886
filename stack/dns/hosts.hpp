// The hosts file (/etc/hosts, hosts(5)) as a value: parsed from its text, then asked for a name's
// IPv4 addresses. Called by the resolver (apps/common/resolver.cpp) before it asks DNS.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stack/wire/ipv4_address.hpp"

namespace tundra::dns {

struct HostsEntry {
  wire::ipv4::Address address;
  std::vector<std::string> names;  // canonical name then aliases, as written
};

class HostsFile {
 public:
  // Lines are "ADDRESS NAME [ALIAS...]" separated by blanks or tabs; '#' starts a comment.
  // IPv6 lines (the address holds ':') and lines whose address is not a dotted quad or that name
  // nobody are skipped: one bad line must not cost the rest of the file.
  static HostsFile parse(std::string_view text);

  // Every IPv4 address given for `name` (ASCII case-insensitive, a trailing '.' ignored), in file
  // order without repeats; the first is the one glibc's files backend would return.
  std::vector<wire::ipv4::Address> lookup(std::string_view name) const;

  const std::vector<HostsEntry>& entries() const { return entries_; }

 private:
  std::vector<HostsEntry> entries_;
};

// ASCII case-insensitive equality of host names, one trailing '.' on either side ignored. Names
// in hosts files and --resolve are plain text, not DNS escapes, so this is not names_equal().
bool host_names_equal(std::string_view a, std::string_view b);

}  // namespace tundra::dns
