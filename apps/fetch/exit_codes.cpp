// Exit codes of tundra-fetch: errno mapping and the --help table.
#include "apps/fetch/exit_codes.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace tundra::fetch {

int exit_code_for_errno(int err) {
  switch (err) {
    case 0:
      return kExitOk;
    case ECONNREFUSED:
      return kExitRefused;
    case ETIMEDOUT:
    case EAGAIN:
    case EINPROGRESS:
      return kExitTimedOut;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return kExitBadResponse;
    default:
      return kExitStart;
  }
}

std::string exit_codes_help() {
  return "Exit codes:\n"
         "   0  ok\n"
         "   1  could not start (TUN device, permissions)\n"
         "   2  bad arguments\n"
         "   3  bad URL (https is not supported)\n"
         "   4  host name not resolved\n"
         "   5  connection refused\n"
         "   6  timed out (--connect-timeout, --max-time)\n"
         "   7  connection reset, or a malformed or truncated response\n"
         "   8  HTTP status >= 400 with --fail\n"
         "   9  too many redirects (--max-redirs)\n"
         "  10  could not write the output\n";
}

}  // namespace tundra::fetch
