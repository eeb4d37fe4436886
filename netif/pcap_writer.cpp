// PcapWriter: the classic pcap format (the libpcap "savefile" layout: a 24-byte file header, then
// per datagram a 16-byte record header and the captured bytes), written through stdio.
#include "netif/pcap_writer.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tundra::netif {

namespace {

// Enough for dozens of full-size datagrams between flushes, so a busy loop iteration costs one
// write(2) rather than one per datagram.
constexpr size_t kStdioBuffer = 256 * 1024;

// Fields go out in host byte order, as libpcap writes them; the magic number tells readers which.
template <class T>
void store(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

}  // namespace

PcapWriter::PcapWriter(std::unique_ptr<Link> inner, std::string path, WallClock wall_micros,
                       uint32_t snaplen)
    : LinkWrapper(std::move(inner)),
      path_(std::move(path)),
      wall_micros_(std::move(wall_micros)),
      snaplen_(snaplen) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) {
    throw std::runtime_error("pcap: cannot open " + path_ + ": " + std::strerror(errno));
  }
  // A failed setvbuf only leaves the default buffer; capture still works.
  (void)std::setvbuf(file_, nullptr, _IOFBF, kStdioBuffer);
  write_header();
  flush();
}

PcapWriter::~PcapWriter() {
  flush();
  std::fclose(file_);
}

std::optional<PacketBuffer> PcapWriter::receive(Instant now) {
  auto p = inner_->receive(now);
  if (p) write_record(p->bytes(), now);
  return p;
}

void PcapWriter::transmit(PacketBuffer packet, Instant now) {
  // Recorded as handed to the inner link, like tcpdump on an interface sees output, even if the
  // link then drops it.
  write_record(packet.bytes(), now);
  inner_->transmit(std::move(packet), now);
}

void PcapWriter::poll(Instant now) {
  inner_->poll(now);
  flush();
}

void PcapWriter::flush() {
  if (!dirty_) return;
  dirty_ = false;
  if (std::fflush(file_) != 0) {
    ++capture_.write_errors;
    // Clear the sticky error so later writes are tried (and counted) afresh, e.g. once a full
    // disk has room again.
    std::clearerr(file_);
  }
}

bool PcapWriter::put(const void* bytes, size_t n) {
  if (n == 0) return true;
  dirty_ = true;
  if (std::fwrite(bytes, 1, n, file_) == n) return true;
  std::clearerr(file_);
  return false;
}

void PcapWriter::write_header() {
  // pcap file header: magic, version 2.4, thiszone (GMT offset, always 0), sigfigs (always 0),
  // snaplen, network (the link type).
  std::array<std::byte, 24> h{};
  store<uint32_t>(h.data() + 0, kMagic);
  store<uint16_t>(h.data() + 4, 2);
  store<uint16_t>(h.data() + 6, 4);
  store<int32_t>(h.data() + 8, 0);
  store<uint32_t>(h.data() + 12, 0);
  store<uint32_t>(h.data() + 16, snaplen_);
  store<uint32_t>(h.data() + 20, kLinktypeRaw);
  if (!put(h.data(), h.size())) ++capture_.write_errors;
}

void PcapWriter::write_record(std::span<const std::byte> datagram, Instant now) {
  // Record header: seconds and microseconds of wall-clock time, captured length, original length.
  // pcap times are unsigned; a clock before the epoch (only a test would have one) is clamped.
  const int64_t wall = std::max<int64_t>(wall_micros_(now), 0);
  const size_t incl = std::min<size_t>(datagram.size(), snaplen_);
  std::array<std::byte, 16> h{};
  store<uint32_t>(h.data() + 0, static_cast<uint32_t>(wall / 1'000'000));
  store<uint32_t>(h.data() + 4, static_cast<uint32_t>(wall % 1'000'000));
  store<uint32_t>(h.data() + 8, static_cast<uint32_t>(incl));
  store<uint32_t>(h.data() + 12, static_cast<uint32_t>(datagram.size()));
  if (!put(h.data(), h.size()) || !put(datagram.data(), incl)) {
    ++capture_.write_errors;
    return;
  }
  ++capture_.packets;
  capture_.bytes += incl;
}

void PcapWriter::report(CounterReport& out) const {
  CounterGroup g{"pcap(" + path_ + ")", {}};
  g.add("packets captured", capture_.packets);
  g.add("bytes captured", capture_.bytes);
  g.add("write errors", capture_.write_errors);
  out.push_back(std::move(g));
  inner_->report(out);
}

std::string PcapWriter::describe() const {
  return "pcap(" + path_ + ") > " + inner_->describe();
}

}  // namespace tundra::netif
