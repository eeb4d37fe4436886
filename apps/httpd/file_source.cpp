// FileSource: pread at an offset, close on destruction.
#include "apps/httpd/file_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace tundra::httpd {

FileSource::FileSource(FileSource&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), offset_(o.offset_), left_(std::exchange(o.left_, 0)) {}

FileSource& FileSource::operator=(FileSource&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    offset_ = o.offset_;
    left_ = std::exchange(o.left_, 0);
  }
  return *this;
}

ssize_t FileSource::peek(std::span<char> buf) const {
  const auto n = static_cast<size_t>(std::min<uint64_t>(buf.size(), left_));
  return ::pread(fd_, buf.data(), n, static_cast<off_t>(offset_));
}

void FileSource::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  left_ = 0;
}

}  // namespace tundra::httpd
