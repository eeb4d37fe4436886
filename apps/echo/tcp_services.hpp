// The TCP services of tundra-echo — echo (RFC 862), discard (RFC 863) and character generator
// (RFC 864) — served to many clients at once from one thread with non-blocking sockets and poll()
// on the socket facade, as a program on kernel sockets would.
#pragma once

#include <cstdint>

#include "stack/socket/socket_api.hpp"

namespace tundra::app {

struct TcpPorts {
  uint16_t echo = 7, discard = 9, chargen = 19;  // 0 turns a service off
};

class TcpServices {
 public:
  // Opens the listening sockets; throws std::runtime_error naming the port on failure.
  TcpServices(sock::SocketApi& api, TcpPorts ports);
  // Serves until the facade's descriptors are closed (Runtime::stop()).
  void run();

 private:
  sock::SocketApi& api_;
  int listeners_[3] = {-1, -1, -1};  // echo, discard, chargen
};

// RFC 864: the line of 72 printable characters that starts at `line` (0, 1, …), with CR LF.
void chargen_line(uint64_t line, char out[74]);

}  // namespace tundra::app
