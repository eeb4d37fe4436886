// Turns one complete request into a response for a static site: method checks, path mapping,
// files (with conditional requests and byte ranges), directory redirects, indexes and listings,
// and error pages. No sockets: the server writes what this returns, and unit tests read it.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/httpd/config.hpp"
#include "apps/httpd/file_cache.hpp"
#include "apps/httpd/file_source.hpp"
#include "stack/http/message.hpp"

namespace tundra::httpd {

struct Response {
  unsigned status = 200;
  std::string head;         // status line, fields and the empty line
  std::string body;         // an in-memory body (error pages, listings); empty with a file
  FileSource file;          // a file body, streamed by the server
  uint64_t body_bytes = 0;  // bytes that follow the head on the wire (0 for HEAD and 304)
  bool close = false;       // "Connection: close" was sent: the server closes after it
  std::string_view note;    // why an error was answered, for the server's log
};

using ExtraFields = std::vector<std::pair<std::string_view, std::string>>;

class Responder {
 public:
  explicit Responder(const ServerConfig& config);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // `close`: the connection ends after this answer (the request asked for it, or the server must).
  Response respond(const http::Message& req, std::time_t now, bool close) const;

  // A small HTML error page. `version_minor` is the request's (0 needs "Connection: keep-alive"
  // to persist); `head_only` leaves the body off (a HEAD request), keeping its Content-Length.
  Response error(unsigned status, std::string_view note, std::time_t now, bool close,
                 unsigned version_minor = 1, bool head_only = false, ExtraFields extra = {}) const;

  // The open-file cache, for its counters and tests.
  const FileCache& file_cache() const { return cache_; }

 private:
  // Opens the regular file at `path` (found by realpath) and answers with it.
  Response serve_file(const http::Message& req, const std::string& path, std::time_t now,
                      bool close) const;
  // The answer with file `f`: conditional requests, ranges, the body from memory or the file.
  Response answer_file(const http::Message& req, const FileInfo& f, std::time_t now,
                       bool close) const;
  // The common case in one system call: the target opened beneath the root with no symbolic
  // link on the way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). Returns the descriptor, or
  // -1 with errno; anything unusual (a link, a kernel without openat2) leaves it to realpath.
  int open_beneath(const std::string& relative) const;
  Response serve_directory(const http::Message& req, const std::string& path,
                           const std::string& url_path, std::time_t now, bool close) const;
  bool inside_root(const std::string& resolved) const;

  const ServerConfig& config_;
  int root_fd_ = -1;  // O_PATH descriptor of the root, for open_beneath()
  // Files served from the fast path, by path relative to the root. Mutable: respond() is a
  // const answer to a request; the server calls it from its one thread.
  mutable FileCache cache_;
};

// The status line and fields of a response, ending with the empty line (RFC 9112 4, 5).
// Content-Length is left out when `content_length` is nullopt (304).
std::string response_head(unsigned status, std::time_t now, bool close, unsigned version_minor,
                          const ExtraFields& fields, std::optional<uint64_t> content_length);

}  // namespace tundra::httpd
