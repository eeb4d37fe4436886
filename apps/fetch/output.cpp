// The output file or stdout of tundra-fetch.
#include "apps/fetch/output.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tundra::fetch {

Output::~Output() {
  if (fd_ >= 0 && !to_stdout()) ::close(fd_);
}

bool Output::fail(const std::string& what, int err) {
  error_ = fmt::format("{} {}: {}", what, name(), std::strerror(err));
  return false;
}

bool Output::open() {
  if (fd_ >= 0) return true;
  if (!error_.empty()) return false;
  if (to_stdout()) {
    fd_ = STDOUT_FILENO;
    return true;
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return fail("cannot open", errno);
  return true;
}

bool Output::write(std::span<const char> data) {
  if (!open()) return false;
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write to", errno);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return true;
}

bool Output::close() {
  if (fd_ < 0 || to_stdout()) return error_.empty();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) < 0) return fail("cannot write to", errno);
  return error_.empty();
}

}  // namespace tundra::fetch
