// FileCache: least recently used entries, each checked by one fstatat(2) before it is used.
#include "apps/httpd/file_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "apps/httpd/mime.hpp"
#include "stack/http/date.hpp"

namespace tundra::httpd {

namespace {

// RFC 9110 8.8.3: an entity tag from the file's size and modification time, which change when
// the content does (as most servers do). Strong: the bytes are the file's, unchanged.
std::string entity_tag(const struct stat& st) {
  return fmt::format("\"{:x}-{:x}{:09}\"", static_cast<uint64_t>(st.st_size),
                     static_cast<uint64_t>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
}

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// The name leads to the file we opened, unchanged since: same inode on the same device, same
// size, and neither written (mtime) nor chmod'ed, linked or otherwise touched (ctime).
bool same_file(const struct stat& now, const struct stat& then) {
  return S_ISREG(now.st_mode) && now.st_dev == then.st_dev && now.st_ino == then.st_ino &&
         now.st_size == then.st_size && same_time(now.st_mtim, then.st_mtim) &&
         same_time(now.st_ctim, then.st_ctim);
}

}  // namespace

std::shared_ptr<const FileInfo> describe_file(int fd, const struct stat& st,
                                              std::string_view name) {
  auto f = std::make_shared<FileInfo>();
  f->file = std::make_shared<const OpenFile>(fd);
  f->st = st;
  f->etag = entity_tag(st);
  f->last_modified = http::format_http_date(st.st_mtime);
  f->content_type = mime_type(name.substr(name.rfind('/') + 1));  // npos + 1: all of it
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size <= FileCache::kContentMax) {
    std::string bytes(size, '\0');
    // A short read (the file shrank meanwhile) leaves the body to be read when it is sent,
    // where the server notices and reports it.
    if (size == 0 || ::pread(fd, bytes.data(), size, 0) == static_cast<ssize_t>(size))
      f->content = std::move(bytes);
  }
  return f;
}

std::shared_ptr<const FileInfo> FileCache::find(int root_fd, const std::string& relative) {
  const auto it = map_.find(relative);
  if (it == map_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const List::iterator e = it->second;
  struct stat st {};
  // AT_SYMLINK_NOFOLLOW: a file replaced by a link is another inode, and takes the slow way.
  if (::fstatat(root_fd, relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !same_file(st, e->info->st)) {
    stale_.fetch_add(1, std::memory_order_relaxed);
    map_.erase(it);
    lru_.erase(e);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  lru_.splice(lru_.begin(), lru_, e);
  return e->info;
}

void FileCache::insert(const std::string& relative, std::shared_ptr<const FileInfo> info,
                       std::time_t now) {
  if (max_entries_ == 0) return;
  const struct stat& st = info->st;
  if (now - st.st_mtime < kRacySeconds || now - st.st_ctime < kRacySeconds) return;
  if (const auto it = map_.find(relative); it != map_.end()) {
    const List::iterator e = it->second;
    map_.erase(it);
    lru_.erase(e);
  }
  if (map_.size() >= max_entries_) {
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{relative, std::move(info)});
  map_.emplace(lru_.front().key, lru_.begin());
}

}  // namespace tundra::httpd
