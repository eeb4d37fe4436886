// ChunkStore: copies between spans and chunks in contiguous runs, and the ring of chunk slots.
#include "stack/tcp/chunk_store.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace tundra::tcp {

namespace {

constexpr size_t kMinSlots = 4;
constexpr size_t kMaxSpareChunks = 1024;  // 4 MiB kept for reuse at most

struct ChunkPool {
  std::mutex mutex;
  std::vector<std::byte*> spare;
};
// Never destroyed: a ChunkStore in a static object may give its chunks back during exit.
ChunkPool& pool() {
  static ChunkPool* p = new ChunkPool;
  return *p;
}

uint64_t chunk_of(uint64_t pos) {
  return pos / ChunkStore::kChunkSize;
}
size_t offset_in_chunk(uint64_t pos) {
  return static_cast<size_t>(pos % ChunkStore::kChunkSize);
}

}  // namespace

void ChunkStore::ChunkDeleter::operator()(std::byte* p) const noexcept {
  ChunkPool& pl = pool();
  {
    std::lock_guard lock(pl.mutex);
    if (pl.spare.size() < kMaxSpareChunks) {
      try {
        pl.spare.push_back(p);
        return;
      } catch (...) {
      }
    }
  }
  delete[] p;
}

ChunkStore::Chunk ChunkStore::take_chunk() {
  ChunkPool& pl = pool();
  {
    std::lock_guard lock(pl.mutex);
    if (!pl.spare.empty()) {
      std::byte* p = pl.spare.back();
      pl.spare.pop_back();
      return Chunk(p);
    }
  }
  // Not zeroed: every byte is written before it is read.
  return Chunk(new std::byte[kChunkSize]);
}

ChunkStore::Chunk& ChunkStore::slot_for_write(uint64_t c) {
  assert(c >= first_);
  const uint64_t needed = c - first_ + 1;
  if (needed > ring_.size()) {
    // Re-lay the slots in order from index 0; the table holds at most about capacity / 4 KiB
    // entries, so this is rare and small.
    std::vector<Chunk> grown(
        std::bit_ceil(std::max<size_t>(static_cast<size_t>(needed), kMinSlots)));
    for (size_t i = 0; i < ring_.size(); ++i)
      grown[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
    ring_ = std::move(grown);
    head_ = 0;
  }
  return ring_[index_of(c)];
}

const std::byte* ChunkStore::chunk_at(uint64_t c) const {
  if (c < first_ || c - first_ >= ring_.size()) return nullptr;
  return ring_[index_of(c)].get();
}

void ChunkStore::write(uint64_t pos, std::span<const std::byte> data) {
  while (!data.empty()) {
    const size_t off = offset_in_chunk(pos);
    const size_t n = std::min(data.size(), kChunkSize - off);
    Chunk& chunk = slot_for_write(chunk_of(pos));
    if (!chunk) {
      chunk = take_chunk();
      ++chunks_;
    }
    std::memcpy(chunk.get() + off, data.data(), n);
    data = data.subspan(n);
    pos += n;
  }
}

void ChunkStore::read(uint64_t pos, std::span<std::byte> out) const {
  while (!out.empty()) {
    const size_t off = offset_in_chunk(pos);
    const size_t n = std::min(out.size(), kChunkSize - off);
    const std::byte* chunk = chunk_at(chunk_of(pos));
    assert(chunk != nullptr);
    std::memcpy(out.data(), chunk + off, n);
    out = out.subspan(n);
    pos += n;
  }
}

void ChunkStore::release(uint64_t floor, uint64_t live) {
  assert(floor <= live);
  const uint64_t new_first = chunk_of(floor);
  assert(new_first >= first_);
  if (chunks_ > 0) {
    // Chunks numbered below live / kChunkSize end at or before `live`.
    const uint64_t dead_end = std::min<uint64_t>(chunk_of(live), first_ + ring_.size());
    for (uint64_t c = first_; c < dead_end && chunks_ > 0; ++c) {
      Chunk& chunk = ring_[index_of(c)];
      if (chunk) {
        chunk.reset();
        --chunks_;
      }
    }
  }
  if (chunks_ == 0) {
    // An idle connection keeps no table either.
    std::vector<Chunk>().swap(ring_);
    head_ = 0;
  } else {
    // Every slot below new_first was emptied above (new_first <= live / kChunkSize), so the
    // ring just turns.
    head_ = index_of(new_first);
  }
  first_ = new_first;
}

}  // namespace tundra::tcp
