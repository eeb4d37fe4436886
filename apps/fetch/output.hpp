// Where tundra-fetch writes what it fetched: the -o file or stdout, opened only when there is
// something to write (so --fail leaves no file behind), with write errors kept for exit code 10.
#pragma once

#include <span>
#include <string>

namespace tundra::fetch {

class Output {
 public:
  // `path` empty or "-": stdout.
  explicit Output(std::string path) : path_(std::move(path)) {}
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Opens (creating or truncating) the file if not yet done; false with error() set on failure.
  bool open();
  // Writes all of `data` (opening first); false with error() set on failure.
  bool write(std::span<const char> data);
  // Closes the file, reporting a failure a delayed write may have left (NFS, full disk).
  bool close();

  const std::string& error() const { return error_; }
  std::string name() const { return to_stdout() ? "stdout" : path_; }

 private:
  bool to_stdout() const { return path_.empty() || path_ == "-"; }
  bool fail(const std::string& what, int err);

  std::string path_;
  int fd_ = -1;
  std::string error_;
};

}  // namespace tundra::fetch
