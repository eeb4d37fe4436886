// What tundra-httpd serves and how patiently: filled in from the command line by main, read by
// the server and the responder.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace tundra::httpd {

struct ServerConfig {
  std::string root;  // the document root, already resolved with realpath
  uint16_t port = 80;
  std::string index = "index.html";
  bool listing = true;
  std::chrono::milliseconds idle_timeout{15'000};    // keep-alive idle between requests
  std::chrono::milliseconds header_timeout{10'000};  // the whole request head must arrive within
  std::chrono::milliseconds send_timeout{30'000};    // no progress writing: the peer is not reading
  std::chrono::milliseconds linger{2'000};  // after our FIN, how long we drain the peer's bytes
  size_t max_connections = 16384;
  uint64_t max_body = 1024 * 1024;             // request bodies are read and discarded up to this
  std::shared_ptr<spdlog::logger> access_log;  // null: none
};

}  // namespace tundra::httpd
