// TraceFile: the TCP event trace (stack/tcp/trace.hpp) written as CSV to a file, for
// --tcp-trace FILE. Events arrive on the stack's thread; lines are gathered in memory and written
// in blocks, so tracing a bulk transfer costs formatting, not a write(2) per segment.
#pragma once

#include <cstdio>
#include <string>

#include "stack/tcp/trace.hpp"

namespace tundra::app {

class TraceFile final : public tcp::TraceSink {
 public:
  // Creates (truncates) `path` and writes the CSV header; throws std::runtime_error with a
  // one-line reason when it cannot.
  explicit TraceFile(const std::string& path);
  ~TraceFile() override;
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  void record(const tcp::TraceEvent& e) override;
  // Writes out what is gathered (also done every 64 KiB, every 200 ms of trace time and at the
  // end). Call with the stack's lock held, or once the stack is stopped.
  void flush();

  uint64_t events() const { return events_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string pending_;
  Instant last_flush_;
  uint64_t events_ = 0;
  bool failed_ = false;  // a write failed: reported once, tracing stops
};

}  // namespace tundra::app
