// The open-file cache of tundra-httpd (what nginx calls open_file_cache): for a file served
// before, the open descriptor, its stat(2), validators and type — and the bytes themselves when
// the file is small — kept under its path, so that a request for it costs one fstatat(2) instead
// of open, fstat, read and close.
//
// Every hit is checked against the file system first: the name must still lead to the same file
// (device and inode) with the same size, modification and change time, or the entry is dropped
// and the file opened afresh. So an edited, replaced, removed or chmod'ed file is seen at once,
// as without the cache. A write leaves the times as they were only within the file system's
// timestamp granularity; files changed in the last kRacySeconds are therefore not cached at all
// (the "racy" case that git's index has too).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "apps/httpd/file_source.hpp"

namespace tundra::httpd {

// What a response needs to know of a regular file.
struct FileInfo {
  std::shared_ptr<const OpenFile> file;
  struct stat st {};
  std::string etag;           // RFC 9110 8.8.3, from size and modification time
  std::string last_modified;  // st_mtime as an HTTP date (RFC 9110 8.8.2)
  std::string content_type;
  std::optional<std::string> content;  // the whole file, when at most kContentMax bytes
};

// Describes the open regular file `fd` (taking it) at path `name`, reading it whole when small.
std::shared_ptr<const FileInfo> describe_file(int fd, const struct stat& st, std::string_view name);

class FileCache {
 public:
  static constexpr size_t kMaxEntries = 1024;         // each holds a descriptor
  static constexpr uint64_t kContentMax = 16 * 1024;  // at most 16 MiB of file bytes in all
  static constexpr std::time_t kRacySeconds = 2;

  explicit FileCache(size_t max_entries = kMaxEntries) : max_entries_(max_entries) {}

  // The entry for `relative` (beneath the directory `root_fd`), if the name still leads to the
  // file cached under it, else nullptr (and a stale entry is dropped).
  std::shared_ptr<const FileInfo> find(int root_fd, const std::string& relative);
  // Keeps `info` under `relative`, the least recently used entry making room; a file changed in
  // the last kRacySeconds (by `now`) is not kept.
  void insert(const std::string& relative, std::shared_ptr<const FileInfo> info, std::time_t now);

  size_t size() const { return map_.size(); }
  // Counted for the server's report, which another thread may print.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t stale() const { return stale_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const FileInfo> info;
  };
  using List = std::list<Entry>;  // most recently used first
  size_t max_entries_;
  List lru_;
  std::unordered_map<std::string_view, List::iterator> map_;  // keys point into lru_'s entries
  std::atomic<uint64_t> hits_{0}, misses_{0}, stale_{0};
};

}  // namespace tundra::httpd
