// tundra-rr's exit codes: the stream tools' shared mapping plus port exhaustion and early close.
#include "apps/rr/exit_codes.hpp"

#include <cerrno>

namespace tundra::rr {

int exit_code_for(int err) {
  switch (err) {
    case EADDRNOTAVAIL:
      return kExitNoPort;
    case EPIPE:
      return kExitPeerClosed;
    default:
      return app::exit_code_for(err);
  }
}

std::string exit_codes_help() {
  return "Exit codes:\n"
         "  0  ok: every request answered\n"
         "  1  could not start (TUN device, permissions), or stopped by a signal\n"
         "  2  bad arguments\n"
         "  3  connection refused (RST to our SYN)\n"
         "  4  timed out (SYNs unanswered, or --max-time ran out)\n"
         "  5  connection reset\n"
         "  6  EADDRNOTAVAIL: connect() found no free local port (port exhaustion)\n"
         "  7  the peer closed the connection before the whole response arrived\n";
}

}  // namespace tundra::rr
