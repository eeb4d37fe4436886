// Maps a request target to a path under the document root, refusing every way of climbing out
// (dot segments raw or percent-encoded, encoded slashes, NUL, backslashes). Called by the server
// before it touches the file system; the server then checks the resolved path with realpath.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"

namespace tundra::httpd {

struct RequestPath {
  std::string raw;                    // the path as received, still percent-encoded ("/a%20b/")
  std::string query;                  // after '?', without it
  std::vector<std::string> segments;  // decoded; never "", "." or ".."
  bool trailing_slash = false;        // the path ends in '/' (or is "/")

  // "a/b/c": the segments joined, relative to the root ("" for the root itself).
  std::string relative() const;
};

// RFC 9112 3.2: origin-form ("/path?query") or absolute-form ("http://host/path"). Errors are a
// short reason for the log; the server answers them with 400.
Result<RequestPath, std::string_view> map_target(std::string_view target);

}  // namespace tundra::httpd
