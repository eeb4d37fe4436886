// One client connection of tundra-httpd: where it is in its request/response cycle, its deadline,
// and only the buffers the current step needs (none while it idles in keep-alive). Owned and
// driven by the Server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "apps/httpd/file_source.hpp"
#include "stack/http/parser.hpp"

namespace tundra::httpd {

using SteadyTime = std::chrono::steady_clock::time_point;

// read (idle → head → body) → respond (writing) → idle again, or draining → closed.
enum class Phase : uint8_t {
  idle,      // between requests: nothing received yet
  head,      // part of a request head received; the header timeout runs
  body,      // head complete, reading (and discarding) the request body
  writing,   // sending the response; the send timeout runs while no byte is taken
  draining,  // we sent FIN; reading and dropping the peer's bytes until it closes (or linger)
  closed,    // to be closed and forgotten by the server
};

struct Connection {
  int fd = -1;
  uint32_t peer_addr = 0;  // host byte order
  uint16_t peer_port = 0;
  Phase phase = Phase::idle;
  bool fresh = true;         // no request answered yet: silence is cut by the header timeout
  bool peer_eof = false;     // the peer shut down its sending side
  bool close_after = false;  // close once the current response is out
  bool rejected = false;     // over --max-connections: answered 503, not counted as active
  SteadyTime deadline;
  SteadyTime request_start;

  std::unique_ptr<http::Parser> parser;  // made when bytes arrive, dropped when idle
  std::string pending;                   // received bytes after a complete request (pipelining)
  std::string out;                       // response head and in-memory body not yet sent
  size_t out_sent = 0;
  FileSource file;  // the file body, streamed after `out`

  // For the access log, kept only while a request is in flight.
  std::string request_line;
  unsigned status = 0;
  uint64_t head_bytes = 0, sent_bytes = 0;

  std::string peer() const;
};

}  // namespace tundra::httpd
