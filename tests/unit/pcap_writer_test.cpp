// PcapWriter: the file read back byte by byte (global header, record headers, data, both
// directions), truncation to the snap length, flushing on poll, open and write failures, and a
// real reader (tshark or tcpdump) agreeing on the packet count.
#include "netif/pcap_writer.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "netif/memory_link.hpp"
#include "stack/wire/ipv4.hpp"
#include "tests/unit/test_datagrams.hpp"

namespace tundra::netif {
namespace {

using linktest::contents;
using linktest::numbered;
using linktest::seq_of;

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

// Host byte order, as the writer uses: the magic at offset 0 must read back as 0xa1b2c3d4.
template <class T>
T load(const std::vector<std::byte>& f, size_t at) {
  T v{};
  EXPECT_LE(at + sizeof v, f.size());
  if (at + sizeof v <= f.size()) std::memcpy(&v, f.data() + at, sizeof v);
  return v;
}

struct Record {
  uint32_t ts_sec, ts_usec, incl_len, orig_len;
  std::vector<std::byte> data;
};

// Splits a pcap file into its records, checking that they tile the file exactly.
std::vector<Record> records(const std::vector<std::byte>& f) {
  std::vector<Record> out;
  size_t at = 24;
  while (at + 16 <= f.size()) {
    Record r{load<uint32_t>(f, at),
             load<uint32_t>(f, at + 4),
             load<uint32_t>(f, at + 8),
             load<uint32_t>(f, at + 12),
             {}};
    at += 16;
    EXPECT_LE(at + r.incl_len, f.size()) << "record runs past the end of the file";
    if (at + r.incl_len > f.size()) break;
    r.data.assign(f.begin() + static_cast<std::ptrdiff_t>(at),
                  f.begin() + static_cast<std::ptrdiff_t>(at + r.incl_len));
    at += r.incl_len;
    out.push_back(std::move(r));
  }
  EXPECT_EQ(at, f.size()) << "trailing bytes after the last record";
  return out;
}

class PcapWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("tundra-" + std::string(info->name()) + "-" + std::to_string(::getpid()) + ".pcap"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // A writer over one end of a memory pair; `peer_` is the other end.
  std::unique_ptr<PcapWriter> make_writer(uint32_t snaplen = PcapWriter::kDefaultSnaplen) {
    auto [a, b] = MemoryLink::make_pair();
    peer_ = std::move(b);
    return std::make_unique<PcapWriter>(
        std::move(a), path_, [this](Instant t) { return clock_.wall_micros(t); }, snaplen);
  }

  std::string path_;
  SimClock clock_;
  std::unique_ptr<MemoryLink> peer_;
};

TEST_F(PcapWriterTest, GlobalHeaderIsClassicMicrosecondRawIp) {
  auto w = make_writer();
  const auto f = read_file(path_);  // flushed by the constructor, before any poll
  ASSERT_EQ(f.size(), 24u);
  EXPECT_EQ(load<uint32_t>(f, 0), 0xa1b2c3d4u);
  EXPECT_EQ(load<uint16_t>(f, 4), 2u);   // version major
  EXPECT_EQ(load<uint16_t>(f, 6), 4u);   // version minor
  EXPECT_EQ(load<int32_t>(f, 8), 0);     // thiszone
  EXPECT_EQ(load<uint32_t>(f, 12), 0u);  // sigfigs
  EXPECT_EQ(load<uint32_t>(f, 16), 65535u);
  EXPECT_EQ(load<uint32_t>(f, 20), 101u);  // LINKTYPE_RAW
}

TEST_F(PcapWriterTest, CapturesBothDirectionsWithTimesLengthsAndData) {
  auto w = make_writer();
  const Instant t1 = Instant::from_micros(1'700'000'000'123'456);
  const Instant t2 = t1 + 2'000'001us;
  const Instant t3 = t2 + 877'000us;

  w->transmit(numbered(1, 40), t1);
  peer_->transmit(numbered(2, 1500), t2);
  auto in = w->receive(t2);
  ASSERT_TRUE(in);
  EXPECT_EQ(seq_of(*in), 2u);
  w->transmit(numbered(3, 4), t3);
  EXPECT_FALSE(w->receive(t3));  // nothing there, nothing captured
  w->poll(t3);

  // The transmitted datagrams went on to the peer untouched.
  auto out1 = peer_->receive(t3);
  ASSERT_TRUE(out1);
  EXPECT_EQ(contents(*out1), contents(numbered(1, 40)));

  // Read while the writer is alive: poll() must have flushed everything.
  const auto f = read_file(path_);
  const auto r = records(f);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(f.size(), 24u + 3 * 16 + 40 + 1500 + 4);

  EXPECT_EQ(r[0].ts_sec, 1'700'000'000u);
  EXPECT_EQ(r[0].ts_usec, 123'456u);
  EXPECT_EQ(r[0].incl_len, 40u);
  EXPECT_EQ(r[0].orig_len, 40u);
  EXPECT_EQ(r[0].data, contents(numbered(1, 40)));

  EXPECT_EQ(r[1].ts_sec, 1'700'000'002u);
  EXPECT_EQ(r[1].ts_usec, 123'457u);
  EXPECT_EQ(r[1].incl_len, 1500u);
  EXPECT_EQ(r[1].orig_len, 1500u);
  EXPECT_EQ(r[1].data, contents(numbered(2, 1500)));

  EXPECT_EQ(r[2].ts_sec, 1'700'000'003u);
  EXPECT_EQ(r[2].ts_usec, 457u);
  EXPECT_EQ(r[2].data, contents(numbered(3, 4)));

  EXPECT_EQ(w->capture_stats().packets, 3u);
  EXPECT_EQ(w->capture_stats().bytes, 1544u);
  EXPECT_EQ(w->capture_stats().write_errors, 0u);
}

TEST_F(PcapWriterTest, TruncatesToSnaplenButKeepsOriginalLength) {
  auto w = make_writer(32);
  w->transmit(numbered(5, 100), clock_.now());
  w->transmit(numbered(6, 20), clock_.now());
  w->poll(clock_.now());
  const auto f = read_file(path_);
  EXPECT_EQ(load<uint32_t>(f, 16), 32u);
  const auto r = records(f);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].incl_len, 32u);
  EXPECT_EQ(r[0].orig_len, 100u);
  const auto whole = contents(numbered(5, 100));
  EXPECT_EQ(r[0].data, std::vector<std::byte>(whole.begin(), whole.begin() + 32));
  EXPECT_EQ(r[1].incl_len, 20u);
  EXPECT_EQ(r[1].orig_len, 20u);
  EXPECT_EQ(w->capture_stats().bytes, 52u);
  // The peer still got the whole datagram.
  EXPECT_EQ(peer_->receive(clock_.now())->size(), 100u);
}

TEST_F(PcapWriterTest, DestructionFlushesWithoutPoll) {
  {
    auto w = make_writer();
    for (uint32_t i = 0; i < 10; ++i)
      w->transmit(numbered(i, 100), clock_.now());
  }
  const auto r = records(read_file(path_));
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r[9].data, contents(numbered(9, 100)));
}

TEST_F(PcapWriterTest, OpenFailureNamesPathAndReason) {
  auto [a, b] = MemoryLink::make_pair();
  const std::string bad = "/nonexistent-tundra-dir/x.pcap";
  try {
    PcapWriter w(std::move(a), bad, [](Instant t) { return t.micros(); });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(bad), std::string::npos) << what;
    EXPECT_NE(what.find(std::strerror(ENOENT)), std::string::npos) << what;
  }
}

TEST_F(PcapWriterTest, WriteErrorsAreCountedNotFatal) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto [a, b] = MemoryLink::make_pair();
  // /dev/full accepts open() and fails every write with ENOSPC.
  PcapWriter w(std::move(a), "/dev/full", [](Instant t) { return t.micros(); });
  EXPECT_GE(w.capture_stats().write_errors, 1u);  // the header's flush
  const uint64_t before = w.capture_stats().write_errors;
  for (uint32_t i = 0; i < 3; ++i) {
    w.transmit(numbered(i), clock_.now());
    w.poll(clock_.now());
  }
  EXPECT_GE(w.capture_stats().write_errors, before + 3);
  // Traffic is unaffected.
  EXPECT_EQ(b->pending(), 3u);
  EXPECT_EQ(w.stats().tx_packets, 3u);
}

TEST_F(PcapWriterTest, DescribesAndReports) {
  auto w = make_writer();
  EXPECT_EQ(w->describe(), "pcap(" + path_ + ") > memory");
  EXPECT_EQ(w->path(), path_);
  w->transmit(numbered(1, 30), clock_.now());
  CounterReport r;
  w->report(r);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "pcap(" + path_ + ")");
  ASSERT_EQ(r[0].values.size(), 3u);
  EXPECT_EQ(r[0].values[0], (std::pair<std::string, uint64_t>{"packets captured", 1}));
  EXPECT_EQ(r[0].values[1], (std::pair<std::string, uint64_t>{"bytes captured", 30}));
  EXPECT_EQ(r[0].values[2], (std::pair<std::string, uint64_t>{"write errors", 0}));
  EXPECT_EQ(r[1].name, "link memory");
  // stats() are the inner link's: the capture does not change what crosses the link.
  EXPECT_EQ(w->stats().tx_packets, 1u);
}

// A valid IPv4 datagram from 10.0.0.1 to 10.0.0.2 carrying `payload` zero bytes.
PacketBuffer ipv4_datagram(uint16_t ident, size_t payload) {
  wire::ipv4::Repr repr;
  repr.src = wire::ipv4::Address(10, 0, 0, 1);
  repr.dst = wire::ipv4::Address(10, 0, 0, 2);
  repr.protocol = 253;  // RFC 3692 experimental: readers show it without dissecting further
  repr.ident = ident;
  repr.payload_len = payload;
  PacketBuffer p = PacketBuffer::with_capacity(repr.buffer_len());
  auto b = p.append(repr.buffer_len());
  std::fill(b.begin(), b.end(), std::byte{0});
  repr.emit(b);
  return p;
}

// Runs `command` and returns what it printed on standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  ::pclose(pipe);
  return out;
}

TEST_F(PcapWriterTest, RealReaderCountsThePackets) {
  std::string command;
  if (std::filesystem::exists("/usr/bin/tshark")) {
    // One line per packet with its source address, which proves the records parse as raw IPv4.
    command = "/usr/bin/tshark -n -r " + path_ + " -T fields -e ip.src 2>/dev/null";
  } else if (std::filesystem::exists("/usr/sbin/tcpdump")) {
    command = "/usr/sbin/tcpdump -n -r " + path_ + " 2>/dev/null";
  } else {
    GTEST_SKIP() << "neither tshark nor tcpdump is installed";
  }
  {
    auto w = make_writer();
    for (uint16_t i = 0; i < 4; ++i) {
      w->transmit(ipv4_datagram(i, 10 + i), clock_.now());
      clock_.advance(1ms);
    }
    for (uint16_t i = 0; i < 3; ++i) {
      peer_->transmit(ipv4_datagram(100, 200), clock_.now());
      ASSERT_TRUE(w->receive(clock_.now()));
      clock_.advance(1ms);
    }
    w->poll(clock_.now());
  }
  const std::string out = run(command);
  size_t lines = 0, from_src = 0;
  for (size_t at = 0; (at = out.find('\n', at)) != std::string::npos; ++at)
    ++lines;
  for (size_t at = 0; (at = out.find("10.0.0.1", at)) != std::string::npos; ++at)
    ++from_src;
  EXPECT_EQ(lines, 7u) << out;
  EXPECT_EQ(from_src, 7u) << out;
}

}  // namespace
}  // namespace tundra::netif
