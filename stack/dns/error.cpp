// Messages for DNS errors, for logs and the resolver's reports.
#include "stack/dns/error.hpp"

namespace tundra::dns {

std::string_view to_string(DnsError e) {
  switch (e) {
    case DnsError::kTruncatedHeader:
      return "truncated header (under 12 octets)";
    case DnsError::kTruncatedQuestion:
      return "truncated question";
    case DnsError::kTruncatedRecord:
      return "truncated resource record";
    case DnsError::kLabelTooLong:
      return "label longer than 63 octets (or a reserved label type)";
    case DnsError::kNameTooLong:
      return "name longer than 255 octets";
    case DnsError::kBadPointer:
      return "compression pointer not strictly backwards (a loop)";
    case DnsError::kRdataBeyondMessage:
      return "rdlength runs past the end of the message";
    case DnsError::kBadARdlength:
      return "A record rdata is not 4 octets";
    case DnsError::kBadCname:
      return "CNAME rdata is not exactly one name";
    case DnsError::kBadNameText:
      return "bad name (empty label or bad escape)";
  }
  return "unknown DNS error";
}

}  // namespace tundra::dns
