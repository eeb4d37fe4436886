// What can be wrong with a DNS message or name (RFC 1035), for parse and for building names.
#pragma once

#include <string_view>

namespace tundra::dns {

enum class DnsError {
  kTruncatedHeader,     // fewer than 12 octets
  kTruncatedQuestion,   // a question's name, type or class runs past the end
  kTruncatedRecord,     // a record's name or fixed fields run past the end
  kLabelTooLong,        // a label over 63 octets, or a reserved label type (01, 10)
  kNameTooLong,         // a name over 255 octets on the wire
  kBadPointer,          // a compression pointer not strictly backwards, or too many of them
  kRdataBeyondMessage,  // rdlength runs past the end of the message
  kBadARdlength,        // an A record whose rdata is not 4 octets
  kBadCname,            // a CNAME whose rdata is not exactly one name
  kBadNameText,         // a name given as text has an empty label or a bad escape
};

std::string_view to_string(DnsError e);

}  // namespace tundra::dns
