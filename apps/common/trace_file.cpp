// TraceFile: CSV lines gathered in memory and written to the trace file in blocks.
#include "apps/common/trace_file.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tundra::app {

namespace {
constexpr size_t kFlushBytes = 64 * 1024;
constexpr Duration kFlushEvery = std::chrono::milliseconds(200);
}  // namespace

TraceFile::TraceFile(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "w");
  if (!file_)
    throw std::runtime_error(fmt::format("--tcp-trace {}: {}", path, std::strerror(errno)));
  pending_.reserve(2 * kFlushBytes);
  pending_ += tcp::trace_csv_header();
  flush();
}

TraceFile::~TraceFile() {
  flush();
  if (file_) std::fclose(file_);
}

void TraceFile::record(const tcp::TraceEvent& e) {
  if (failed_) return;
  ++events_;
  tcp::append_trace_csv(e, pending_);
  if (pending_.size() >= kFlushBytes || e.time - last_flush_ >= kFlushEvery) {
    last_flush_ = e.time;
    flush();
  }
}

void TraceFile::flush() {
  if (failed_ || !file_ || pending_.empty()) return;
  const bool ok = std::fwrite(pending_.data(), 1, pending_.size(), file_) == pending_.size() &&
                  std::fflush(file_) == 0;
  pending_.clear();
  if (!ok) {
    failed_ = true;
    spdlog::error("--tcp-trace {}: write failed ({}); tracing stops", path_, std::strerror(errno));
  }
}

}  // namespace tundra::app
