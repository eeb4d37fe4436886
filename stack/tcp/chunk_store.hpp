// Byte storage behind SendBuffer and RecvBuffer: addressed by a 64-bit stream position, held in
// fixed-size chunks that exist only while they hold bytes the owner still needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

namespace tundra::tcp {

// Why chunks: a connection's buffers may be hundreds of KiB (SO_SNDBUF/SO_RCVBUF), but an idle
// connection should cost next to nothing, so storage is taken as bytes arrive and given back as
// they leave. Positions are 64-bit stream offsets (never wrapping in practice), so the owners
// keep their bookkeeping in absolute positions and never shift anything when the front moves.
//
// The chunk table is a ring indexed by chunk number: chunk c lives in slot
// (head_ + c - first_) mod size. A slot may be empty (a gap in out-of-order data, or a chunk
// already given back), so a segment far ahead in the window costs only the chunks it touches.
class ChunkStore {
 public:
  // A page: three full-size Ethernet segments, and small enough that a trickle of data or a lone
  // out-of-order segment does not pin much memory.
  static constexpr size_t kChunkSize = 4096;
  // For release(): "nothing is live any more".
  static constexpr uint64_t kNothingLive = std::numeric_limits<uint64_t>::max();

  ChunkStore() = default;
  ChunkStore(ChunkStore&&) noexcept = default;
  ChunkStore& operator=(ChunkStore&&) noexcept = default;
  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  // Copies `data` to positions [pos, pos + data.size()), taking the chunks it touches that are
  // not held yet. `pos` is at or after the floor given to the last release().
  void write(uint64_t pos, std::span<const std::byte> data);
  // Copies positions [pos, pos + out.size()) into `out`; all of them were written and not
  // released.
  void read(uint64_t pos, std::span<std::byte> out) const;
  // The owner will not touch positions below `floor` again, and holds nothing it needs below
  // `live` (floor <= live; kNothingLive when it holds nothing): gives back every chunk that lies
  // wholly below `live`, and the chunk table itself once no chunk is left.
  void release(uint64_t floor, uint64_t live);

  // Chunks plus the chunk table, for memory accounting.
  size_t allocated_bytes() const { return chunks_ * kChunkSize + ring_.capacity() * sizeof(Chunk); }
  size_t chunks() const { return chunks_; }

 private:
  // Chunks come from and go back to a process-wide pool of spare ones (at most 4 MiB): at full
  // speed a chunk is taken and given back every three segments, by different threads (the loop
  // writes received data, the application's recv() frees it), so a per-thread cache would not
  // do; a short lock is cheaper than malloc's bins.
  struct ChunkDeleter {
    void operator()(std::byte* p) const noexcept;
  };
  using Chunk = std::unique_ptr<std::byte[], ChunkDeleter>;
  static Chunk take_chunk();

  // The slot for chunk number `c` (c >= first_), growing the table to reach it.
  Chunk& slot_for_write(uint64_t c);
  // The chunk numbered `c`, or nullptr when it is not held.
  const std::byte* chunk_at(uint64_t c) const;
  size_t index_of(uint64_t c) const {
    return (head_ + static_cast<size_t>(c - first_)) & (ring_.size() - 1);
  }

  std::vector<Chunk> ring_;  // empty, or a power of two in size
  size_t head_ = 0;          // slot of chunk number first_
  uint64_t first_ = 0;       // lowest chunk number the table can hold
  size_t chunks_ = 0;        // chunks held
};

}  // namespace tundra::tcp
