// A response body streamed from a file: an open descriptor, where we are, and how much is left.
// The server reads a chunk at the current offset into its one shared buffer each time the socket
// can take more, so a connection holds no file data of its own.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <span>

#include <utility>

namespace tundra::httpd {

class FileSource {
 public:
  FileSource() = default;
  // Takes ownership of `fd`; serves [offset, offset + length).
  FileSource(int fd, uint64_t offset, uint64_t length) : fd_(fd), offset_(offset), left_(length) {}
  FileSource(FileSource&& o) noexcept;
  FileSource& operator=(FileSource&& o) noexcept;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() { reset(); }

  bool active() const { return fd_ >= 0; }
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
  // Gives up the descriptor without closing it.
  int release() {
    left_ = 0;
    return std::exchange(fd_, -1);
  }

 private:
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t left_ = 0;
};

}  // namespace tundra::httpd
