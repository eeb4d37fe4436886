// The HTML page listing a directory's entries, for the HTTP server when a directory has no index.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace tundra::httpd {

struct ListingEntry {
  std::string name;  // as on disk
  bool directory = false;
  uint64_t size = 0;
  std::time_t mtime = 0;
};

// Escapes the five HTML special characters, so a file name cannot inject markup.
std::string html_escape(std::string_view s);
// RFC 3986 2.1: percent-encodes every byte outside the unreserved set, so a name is one path
// segment in an href whatever it contains ('?', '#', '%', '"', spaces, non-ASCII).
std::string url_encode_segment(std::string_view s);

// The listing page of `url_path` (decoded, ends in '/'), entries sorted by name, directories
// shown with a trailing '/'; a "../" link unless it is the root.
std::string render_listing(std::string_view url_path, std::vector<ListingEntry> entries);

// Reads the directory at `fs_path` (no "." or ".."); false when it cannot be opened.
bool read_directory(const std::string& fs_path, std::vector<ListingEntry>& out);

}  // namespace tundra::httpd
