// SendBuffer (stack/tcp/send_buffer): capacity limits, copying out across chunk boundaries, ACKs
// draining the front, and storage taken on demand and given back when empty.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "stack/tcp/chunk_store.hpp"
#include "stack/tcp/send_buffer.hpp"

namespace tundra::tcp {
namespace {

constexpr size_t kChunk = ChunkStore::kChunkSize;

// Stream bytes that differ at every position over a long run (not a multiple of a chunk).
std::byte stream_byte(uint64_t pos) {
  return static_cast<std::byte>((pos * 131 + pos / 251 + 7) & 0xff);
}
std::vector<std::byte> stream(uint64_t from, size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = stream_byte(from + i);
  return v;
}
std::vector<std::byte> copy_out(const SendBuffer& b, size_t offset, size_t n) {
  std::vector<std::byte> v(n);
  b.copy_out(offset, v);
  return v;
}

TEST(SendBuffer, StartsEmptyWithNothingAllocated) {
  SendBuffer b(1 << 20);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 1u << 20);
  EXPECT_EQ(b.free(), 1u << 20);
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(SendBuffer, SmallWriteTakesOneChunkNotTheCapacity) {
  SendBuffer b(1 << 20);
  const auto data = stream(0, 100);
  EXPECT_EQ(b.write(data), 100u);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_EQ(b.free(), (1u << 20) - 100);
  EXPECT_GE(b.allocated_bytes(), kChunk);
  EXPECT_LE(b.allocated_bytes(), kChunk + 256);
  EXPECT_EQ(copy_out(b, 0, 100), data);
}

TEST(SendBuffer, WriteStopsAtCapacity) {
  SendBuffer b(1000);
  const auto data = stream(0, 1500);
  EXPECT_EQ(b.write(data), 1000u);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_EQ(b.free(), 0u);
  EXPECT_EQ(b.write(data), 0u);
  EXPECT_EQ(copy_out(b, 0, 1000), stream(0, 1000));
  b.consume(300);
  EXPECT_EQ(b.free(), 300u);
  EXPECT_EQ(b.write(std::span(data).subspan(1000)), 300u);
  EXPECT_EQ(copy_out(b, 0, 1000), stream(300, 1000));
}

TEST(SendBuffer, EmptyWritesAndCopiesAreHarmless) {
  SendBuffer b(100);
  EXPECT_EQ(b.write({}), 0u);
  b.copy_out(0, {});
  b.consume(0);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(SendBuffer, CopyOutAcrossChunkBoundaries) {
  SendBuffer b(8 * kChunk);
  // Written in pieces that do not line up with chunks.
  size_t written = 0;
  for (size_t piece : {1u, 4095u, 1u, 3000u, 5000u, 7u, 2 * 4096u})
    written += b.write(stream(written, piece));
  ASSERT_EQ(b.size(), written);
  for (size_t offset : {size_t{0}, kChunk - 1, kChunk, kChunk + 1, 2 * kChunk - 3})
    for (size_t n : {size_t{1}, size_t{2}, kChunk, kChunk + 2, 2 * kChunk + 1})
      if (offset + n <= written) {
        EXPECT_EQ(copy_out(b, offset, n), stream(offset, n)) << offset;
      }
  EXPECT_EQ(copy_out(b, 0, written), stream(0, written));
}

TEST(SendBuffer, ConsumeShiftsOffsetsAndGivesChunksBack) {
  SendBuffer b(16 * kChunk);
  ASSERT_EQ(b.write(stream(0, 3 * kChunk + 10)), 3 * kChunk + 10);
  const size_t full = b.allocated_bytes();
  b.consume(kChunk - 1);  // chunk 0 still holds one byte
  EXPECT_EQ(b.allocated_bytes(), full);
  EXPECT_EQ(copy_out(b, 0, 5), stream(kChunk - 1, 5));
  b.consume(1);  // chunk 0 is wholly acknowledged
  EXPECT_EQ(b.allocated_bytes(), full - kChunk);
  b.consume(kChunk + 5);
  EXPECT_EQ(b.size(), kChunk + 5);
  EXPECT_EQ(copy_out(b, 0, kChunk + 5), stream(2 * kChunk + 5, kChunk + 5));
  b.consume(kChunk + 5);
  EXPECT_EQ(b.size(), 0u);
  // The last chunk held only acknowledged bytes: nothing is kept, not even the table.
  EXPECT_EQ(b.allocated_bytes(), 0u);
  // And the buffer carries on from a position in the middle of a chunk.
  ASSERT_EQ(b.write(stream(0, 2 * kChunk)), 2 * kChunk);
  EXPECT_EQ(copy_out(b, 0, 2 * kChunk), stream(0, 2 * kChunk));
  b.consume(2 * kChunk);
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(SendBuffer, LoweredCapacityBlocksWritesUntilAcksDrainIt) {
  SendBuffer b(10000);
  ASSERT_EQ(b.write(stream(0, 8000)), 8000u);
  b.set_capacity(5000);
  EXPECT_EQ(b.capacity(), 5000u);
  EXPECT_EQ(b.size(), 8000u);  // nothing held is dropped
  EXPECT_EQ(b.free(), 0u);
  EXPECT_EQ(b.write(stream(8000, 10)), 0u);
  b.consume(3000);
  EXPECT_EQ(b.free(), 0u);
  b.consume(1000);
  EXPECT_EQ(b.free(), 1000u);
  EXPECT_EQ(b.write(stream(8000, 2000)), 1000u);
  EXPECT_EQ(copy_out(b, 0, 5000), stream(4000, 5000));
  b.set_capacity(20000);
  EXPECT_EQ(b.free(), 15000u);
}

// A long stream through a small buffer: the chunk ring turns many times over; what comes out at
// any offset is always the stream, and the memory held stays bounded by what is held.
TEST(SendBuffer, StreamingThroughTheRing) {
  std::mt19937 rng(1234);
  const size_t capacity = 5 * kChunk + 123;
  SendBuffer b(capacity);
  uint64_t una = 0;  // stream position of offset 0
  uint64_t end = 0;  // stream position after the last byte written
  while (una < 4'000'000) {
    const size_t want = std::uniform_int_distribution<size_t>(0, 3 * kChunk)(rng);
    const size_t took = b.write(stream(end, want));
    EXPECT_EQ(took, std::min(want, capacity - (end - una)));
    end += took;
    ASSERT_EQ(b.size(), end - una);
    // A "segment" somewhere in the buffer.
    if (b.size() > 0) {
      const size_t off = std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng);
      const size_t n = std::uniform_int_distribution<size_t>(0, b.size() - off)(rng);
      ASSERT_EQ(copy_out(b, off, n), stream(una + off, n));
    }
    // Storage for what is held (spread over at most two chunks more), plus a small table.
    EXPECT_LE(b.allocated_bytes(), (b.size() / kChunk + 2) * kChunk + 16 * sizeof(void*));
    const size_t acked = std::uniform_int_distribution<size_t>(0, b.size())(rng);
    b.consume(acked);
    una += acked;
  }
  b.consume(b.size());
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

}  // namespace
}  // namespace tundra::tcp
