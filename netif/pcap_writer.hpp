// PcapWriter: middleware that records every datagram crossing a link, both ways, in a classic
// pcap file (LINKTYPE_RAW) that tcpdump and Wireshark read. Stacked into a link chain by the apps
// (--pcap) and by tests that want a capture to look at.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "netif/link.hpp"

namespace tundra::netif {

// Counters the capture keeps beside those of the link it wraps.
struct PcapStats {
  uint64_t packets = 0;       // records written
  uint64_t bytes = 0;         // datagram bytes written (after truncation to the snap length)
  uint64_t write_errors = 0;  // records or flushes that failed
};

class PcapWriter final : public LinkWrapper {
 public:
  // Maps the stack's monotonic Instant to microseconds since the Unix epoch, usually
  // `[&clock](Instant t) { return clock.wall_micros(t); }`.
  using WallClock = std::function<int64_t(Instant)>;

  // libpcap's own default: whole datagrams, since an IPv4 datagram is at most 65535 bytes.
  static constexpr uint32_t kDefaultSnaplen = 65535;
  // LINKTYPE_RAW: each record starts with the IP header, no link-layer header.
  static constexpr uint32_t kLinktypeRaw = 101;
  // The classic microsecond-resolution magic; written in host order, so readers tell the byte
  // order from how it reads back.
  static constexpr uint32_t kMagic = 0xa1b2c3d4;

  // Creates (truncates) `path` and writes the file header. Throws std::runtime_error naming the
  // path and the reason if the file cannot be opened.
  PcapWriter(std::unique_ptr<Link> inner, std::string path, WallClock wall_micros,
             uint32_t snaplen = kDefaultSnaplen);
  ~PcapWriter() override;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  std::optional<PacketBuffer> receive(Instant now) override;
  void transmit(PacketBuffer packet, Instant now) override;
  // Flushes what has been captured since the last poll, so a reader of the file while the
  // program runs sees every datagram up to the last poll.
  void poll(Instant now) override;

  void report(CounterReport& out) const override;
  std::string describe() const override;

  const PcapStats& capture_stats() const { return capture_; }
  const std::string& path() const { return path_; }
  // Pushes buffered records to the file now.
  void flush();

 private:
  void write_header();
  void write_record(std::span<const std::byte> datagram, Instant now);
  // Writes all of `bytes` to the file, false on error.
  bool put(const void* bytes, size_t n);

  std::string path_;
  WallClock wall_micros_;
  uint32_t snaplen_;
  std::FILE* file_ = nullptr;
  bool dirty_ = false;  // records written since the last flush
  PcapStats capture_;
};

}  // namespace tundra::netif
