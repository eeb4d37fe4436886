// The static-site semantics of tundra-httpd (RFC 9110): which status, which fields, which bytes.
#include "apps/httpd/responder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "apps/httpd/listing.hpp"
#include "apps/httpd/path.hpp"
#include "stack/http/chars.hpp"
#include "stack/http/date.hpp"
#include "stack/http/range.hpp"
#include "stack/http/status.hpp"

namespace tundra::httpd {

namespace {

// RFC 9110 9.3 names these (and RFC 5789 PATCH): we know them but serve only GET and HEAD.
constexpr std::array<std::string_view, 7> kKnownMethods = {"POST",    "PUT",   "DELETE", "CONNECT",
                                                           "OPTIONS", "TRACE", "PATCH"};

// RFC 9110 13.1.2: If-None-Match uses the weak comparison; "*" matches any current entity.
bool none_match(std::string_view list, std::string_view etag) {
  list = http::trim_ows(list);
  if (list == "*") return true;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view tag = http::trim_ows(list.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string error_page(unsigned status, std::string_view note) {
  const auto reason = http::reason_phrase(status);
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><title>{0} {1}</title></head>\n"
      "<body><h1>{0} {1}</h1>\n<p>{2}</p>\n<hr><small>tundra-httpd</small></body></html>\n",
      status, reason, html_escape(note));
}

}  // namespace

std::string response_head(unsigned status, std::time_t now, bool close, unsigned version_minor,
                          const ExtraFields& fields, std::optional<uint64_t> content_length) {
  // Appended piece by piece: this runs for every response, and a format string's parsing cost
  // more than the rest of building the head.
  std::string h;
  h.reserve(256);
  // RFC 9110 6.2: a server sends its own version (HTTP/1.1) whatever the request's minor was.
  h += "HTTP/1.1 ";
  h += fmt::format_int(status).c_str();
  h += ' ';
  h += http::reason_phrase(status);
  // RFC 9110 6.6.1: an origin server with a clock MUST send Date.
  h += "\r\nDate: ";
  http::append_http_date(h, now);
  h += "\r\nServer: tundra-httpd\r\n";
  for (const auto& [name, value] : fields) {
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  if (content_length) {
    h += "Content-Length: ";
    h += fmt::format_int(*content_length).c_str();
    h += "\r\n";
  }
  // RFC 9112 9.6: "close" tells the client we close after this response. RFC 9112 C.2.2: an
  // HTTP/1.0 client keeps the connection only if we answer "keep-alive".
  if (close)
    h += "Connection: close\r\n";
  else if (version_minor == 0)
    h += "Connection: keep-alive\r\n";
  h += "\r\n";
  return h;
}

Response Responder::error(unsigned status, std::string_view note, std::time_t now, bool close,
                          unsigned version_minor, bool head_only, ExtraFields extra) const {
  Response r;
  r.status = status;
  r.note = note;
  r.close = close;
  std::string page = error_page(status, note);
  extra.emplace_back("Content-Type", "text/html; charset=utf-8");
  r.head = response_head(status, now, close, version_minor, extra, page.size());
  if (!head_only) {
    r.body_bytes = page.size();
    r.body = std::move(page);
  }
  return r;
}

Responder::Responder(const ServerConfig& config)
    : config_(config), root_fd_(::open(config.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {}

Responder::~Responder() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

int Responder::open_beneath(const std::string& relative) const {
  if (root_fd_ < 0) {
    errno = ENOSYS;
    return -1;
  }
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;  // O_NONBLOCK: a FIFO must not hang the server
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const char* rel = relative.empty() ? "." : relative.c_str();
  return static_cast<int>(::syscall(SYS_openat2, root_fd_, rel, &how, sizeof how));
}

bool Responder::inside_root(const std::string& resolved) const {
  const std::string& root = config_.root;
  if (resolved == root) return true;
  if (root == "/") return true;
  return resolved.size() > root.size() && resolved.compare(0, root.size(), root) == 0 &&
         resolved[root.size()] == '/';
}

Response Responder::respond(const http::Message& req, std::time_t now, bool close) const {
  const unsigned v = req.version_minor;
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    // RFC 9110 15.5.6: 405 MUST carry Allow; RFC 9110 9.1: an unrecognized method gets 501.
    if (std::find(kKnownMethods.begin(), kKnownMethods.end(), req.method) != kKnownMethods.end())
      return error(405, "This server only reads: GET and HEAD.", now, close, v, false,
                   {{"Allow", "GET, HEAD"}});
    return error(501, "Unknown method.", now, close, v);
  }
  auto mapped = map_target(req.target);
  if (!mapped) return error(400, mapped.error(), now, close, v, head);
  const RequestPath& p = *mapped;
  const std::string relative = p.relative();
  // Fast path: a file served before, still the same (FileCache::find), or a regular file reached
  // without symbolic links, what realpath would find at root/relative, inside the root;
  // serve it from the descriptor, and keep it for next time. Everything else (directories,
  // links, errors other than "not there" or "not allowed") takes the realpath way below.
  if (!p.trailing_slash)
    if (auto f = cache_.find(root_fd_, relative)) return answer_file(req, *f, now, close);
  if (const int fd = open_beneath(relative); fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !p.trailing_slash) {
      auto f = describe_file(fd, st, relative);
      cache_.insert(relative, f, now);
      return answer_file(req, *f, now, close);
    }
    ::close(fd);
  } else if (errno == ENOENT) {
    return error(404, "No such file here.", now, close, v, head);
  } else if (errno == EACCES) {
    return error(403, "Not readable.", now, close, v, head);
  }
  const std::string fs_path = config_.root + "/" + relative;
  char buf[PATH_MAX];
  if (!realpath(fs_path.c_str(), buf))
    return errno == EACCES ? error(403, "Not readable.", now, close, v, head)
                           : error(404, "No such file here.", now, close, v, head);
  const std::string resolved = buf;
  // A symbolic link inside the root may point anywhere: what counts is where it resolves to.
  if (!inside_root(resolved)) return error(404, "No such file here.", now, close, v, head);
  struct stat st {};
  if (stat(resolved.c_str(), &st) != 0)
    return error(404, "No such file here.", now, close, v, head);
  if (S_ISDIR(st.st_mode)) {
    if (!p.trailing_slash) {
      // RFC 9110 15.4.2: relative references inside a directory need the trailing slash.
      std::string location = p.raw + "/";
      if (!p.query.empty()) location += "?" + p.query;
      return error(301, "Moved to " + location, now, close, v, head,
                   {{"Location", std::move(location)}});
    }
    std::string url_path = "/" + relative;
    if (url_path.back() != '/') url_path += '/';
    return serve_directory(req, resolved, url_path, now, close);
  }
  if (!S_ISREG(st.st_mode)) return error(403, "Not a regular file.", now, close, v, head);
  // "/file.txt/" names a directory that does not exist; relative links under it would be wrong.
  if (p.trailing_slash) return error(404, "No such directory here.", now, close, v, head);
  return serve_file(req, resolved, now, close);
}

Response Responder::serve_directory(const http::Message& req, const std::string& path,
                                    const std::string& url_path, std::time_t now,
                                    bool close) const {
  const unsigned v = req.version_minor;
  const bool head = req.method == "HEAD";
  const std::string index = path + "/" + config_.index;
  char buf[PATH_MAX];
  struct stat st {};
  if (!config_.index.empty() && realpath(index.c_str(), buf) && inside_root(buf) &&
      stat(buf, &st) == 0 && S_ISREG(st.st_mode))
    return serve_file(req, buf, now, close);
  if (!config_.listing) return error(403, "Directory listing is off.", now, close, v, head);
  std::vector<ListingEntry> entries;
  if (!read_directory(path, entries)) return error(403, "Not readable.", now, close, v, head);
  Response r;
  r.close = close;
  std::string page = render_listing(url_path, std::move(entries));
  r.head = response_head(200, now, close, v, {{"Content-Type", "text/html; charset=utf-8"}},
                         page.size());
  if (!head) {
    r.body_bytes = page.size();
    r.body = std::move(page);
  }
  return r;
}

Response Responder::serve_file(const http::Message& req, const std::string& path, std::time_t now,
                               bool close) const {
  const unsigned v = req.version_minor;
  const bool head = req.method == "HEAD";
  // O_NONBLOCK: should a FIFO slip in between stat and open, open must not hang the server.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return errno == EACCES ? error(403, "Not readable.", now, close, v, head)
                           : error(404, "No such file here.", now, close, v, head);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return error(403, "Not a regular file.", now, close, v, head);
  }
  return answer_file(req, *describe_file(fd, st, path), now, close);
}

Response Responder::answer_file(const http::Message& req, const FileInfo& f, std::time_t now,
                                bool close) const {
  const unsigned v = req.version_minor;
  const bool head = req.method == "HEAD";
  const struct stat& st = f.st;
  const auto size = static_cast<uint64_t>(st.st_size);
  const std::string& etag = f.etag;
  // RFC 9110 8.8.2.1: Last-Modified is never later than the Date we send.
  const std::string last_modified =
      st.st_mtime <= now ? f.last_modified : http::format_http_date(now);

  // RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it, and only for GET
  // and HEAD (13.1.3).
  bool not_modified = false;
  if (const http::Field* inm = req.find("If-None-Match")) {
    not_modified = none_match(inm->value, etag);
  } else if (const http::Field* ims = req.find("If-Modified-Since")) {
    // RFC 9110 13.1.3: an invalid date is ignored.
    if (auto since = http::parse_http_date(ims->value, now)) not_modified = st.st_mtime <= *since;
  }
  if (not_modified) {
    // RFC 9110 15.4.5: 304 carries the validators, no content.
    Response r;
    r.status = 304;
    r.close = close;
    r.head = response_head(304, now, close, v, {{"ETag", etag}, {"Last-Modified", last_modified}},
                           std::nullopt);
    return r;
  }

  ExtraFields fields = {{"Content-Type", f.content_type},
                        {"Last-Modified", last_modified},
                        {"ETag", etag},
                        {"Accept-Ranges", "bytes"}};
  uint64_t first = 0, length = size;
  unsigned status = 200;
  // RFC 9110 14.2: Range is only for GET; other methods MUST ignore it.
  const http::Field* range = req.method == "GET" ? req.find("Range") : nullptr;
  if (range) {
    // RFC 9110 13.1.5: If-Range with a validator that does not match means "send it all".
    if (const http::Field* if_range = req.find("If-Range")) {
      std::string_view val = http::trim_ows(if_range->value);
      bool match = false;
      if (!val.empty() && val.front() == '"') {
        match = val == etag;  // strong comparison; a weak tag (W/...) never matches
      } else if (auto date = http::parse_http_date(val, now)) {
        match = *date == st.st_mtime;
      }
      if (!match) range = nullptr;
    }
  }
  if (range) {
    const http::RangeRequest rr = http::parse_range(range->value, size);
    switch (rr.kind) {
      case http::RangeRequest::Kind::single:
        status = 206;
        first = rr.range.first;
        length = rr.range.length();
        fields.emplace_back("Content-Range", http::content_range(rr.range, size));
        break;
      case http::RangeRequest::Kind::unsatisfiable:
        // RFC 9110 15.5.17: 416 SHOULD say the current length in Content-Range.
        return error(416, "The range is beyond the end of the file.", now, close, v, head,
                     {{"Content-Range", http::unsatisfied_range(size)}});
      case http::RangeRequest::Kind::multiple:
        // RFC 9110 14.2: a server MAY ignore Range; we answer several ranges with the whole
        // representation rather than a multipart/byteranges body.
      case http::RangeRequest::Kind::ignore:
        break;
    }
  }
  Response r;
  r.status = status;
  r.close = close;
  r.head = response_head(status, now, close, v, fields, length);
  if (!head && length > 0) {
    r.body_bytes = length;
    if (f.content)
      r.body = f.content->substr(first, length);
    else
      r.file = FileSource(f.file, first, length);
  }
  return r;
}

}  // namespace tundra::httpd
