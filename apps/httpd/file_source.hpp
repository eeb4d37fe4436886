// A response body streamed from a file: a shared open descriptor, where we are, and how much is
// left. The server reads a chunk at the current offset into its one shared buffer each time the
// socket can take more, so a connection holds no file data of its own.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace tundra::httpd {

// An open file descriptor, closed when its last holder lets go: the open-file cache and every
// response streaming from the file share one, each reading at its own offset (pread).
class OpenFile {
 public:
  explicit OpenFile(int fd) : fd_(fd) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();
  int fd() const { return fd_; }

 private:
  int fd_;
};

class FileSource {
 public:
  FileSource() = default;
  // Serves [offset, offset + length) of `file`.
  FileSource(std::shared_ptr<const OpenFile> file, uint64_t offset, uint64_t length)
      : file_(std::move(file)), offset_(offset), left_(length) {}
  FileSource(FileSource&& o) noexcept;
  FileSource& operator=(FileSource&& o) noexcept;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() = default;

  bool active() const { return file_ != nullptr; }
  uint64_t remaining() const { return left_; }
  // Reads up to buf.size() bytes (capped at what is left) at the current offset without moving
  // it: what the socket does not take is read again next time. -1 with errno, or 0 if the file
  // shrank under us.
  ssize_t peek(std::span<char> buf) const;
  // The socket took `n` bytes of the last peek.
  void advance(uint64_t n) {
    offset_ += n;
    left_ -= n;
  }
  void reset();

 private:
  std::shared_ptr<const OpenFile> file_;
  uint64_t offset_ = 0;
  uint64_t left_ = 0;
};

}  // namespace tundra::httpd
