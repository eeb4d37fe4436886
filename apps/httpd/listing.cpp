// Directory listing: read entries, sort, escape, render.
#include "apps/httpd/listing.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

namespace tundra::httpd {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string url_encode_segment(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    // RFC 3986 2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~')
      out += c;
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

std::string render_listing(std::string_view url_path, std::vector<ListingEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ListingEntry& a, const ListingEntry& b) { return a.name < b.name; });
  const std::string title = html_escape(url_path);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {0}</title>\n"
      "<style>body{{font-family:sans-serif}}td{{padding:0 1em}}td.n{{text-align:right}}</style>"
      "</head>\n<body><h1>Index of {0}</h1>\n<table>\n"
      "<tr><th>Name</th><th>Size</th><th>Last modified (UTC)</th></tr>\n",
      title);
  if (url_path != "/") out += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
  for (const auto& e : entries) {
    std::tm tm{};
    gmtime_r(&e.mtime, &tm);
    const std::string slash = e.directory ? "/" : "";
    out += fmt::format(
        "<tr><td><a href=\"{}{}\">{}{}</a></td><td class=\"n\">{}</td>"
        "<td>{:04}-{:02}-{:02} {:02}:{:02}</td></tr>\n",
        url_encode_segment(e.name), slash, html_escape(e.name), slash,
        e.directory ? std::string("-") : std::to_string(e.size), tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min);
  }
  out += "</table>\n<p><small>tundra-httpd</small></p></body></html>\n";
  return out;
}

bool read_directory(const std::string& fs_path, std::vector<ListingEntry>& out) {
  DIR* dir = opendir(fs_path.c_str());
  if (!dir) return false;
  while (const dirent* d = readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (fstatat(dirfd(dir), d->d_name, &st, 0) != 0) continue;   // a dangling symlink, say
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;  // only what we would serve
    out.push_back(ListingEntry{std::string(name), S_ISDIR(st.st_mode),
                               static_cast<uint64_t>(st.st_size), st.st_mtime});
  }
  closedir(dir);
  return true;
}

}  // namespace tundra::httpd
