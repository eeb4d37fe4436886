// FileSource: pread at an offset from a shared descriptor, closed with its last holder.
#include "apps/httpd/file_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace tundra::httpd {

OpenFile::~OpenFile() {
  if (fd_ >= 0) ::close(fd_);
}

FileSource::FileSource(FileSource&& o) noexcept
    : file_(std::move(o.file_)), offset_(o.offset_), left_(std::exchange(o.left_, 0)) {}

FileSource& FileSource::operator=(FileSource&& o) noexcept {
  if (this != &o) {
    file_ = std::move(o.file_);
    offset_ = o.offset_;
    left_ = std::exchange(o.left_, 0);
  }
  return *this;
}

ssize_t FileSource::peek(std::span<char> buf) const {
  const auto n = static_cast<size_t>(std::min<uint64_t>(buf.size(), left_));
  return ::pread(file_->fd(), buf.data(), n, static_cast<off_t>(offset_));
}

void FileSource::reset() {
  file_.reset();
  left_ = 0;
}

}  // namespace tundra::httpd
