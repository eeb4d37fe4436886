// SendBuffer: bytes the application wrote that the peer has not acknowledged yet, sent or not.
// The TCP connection appends on send(), copies segments out, and drops what ACKs cover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/tcp/chunk_store.hpp"

namespace tundra::tcp {

// Offset 0 is the byte at SND.UNA; offset SND.NXT - SND.UNA is the first byte not sent yet. The
// connection keeps the sequence numbers; this keeps only bytes, so it knows nothing of SYN/FIN.
// Storage grows with what is held and is given back as ACKs drain it (empty: nothing allocated).
class SendBuffer {
 public:
  explicit SendBuffer(size_t capacity) : capacity_(capacity) {}

  // Bytes held.
  size_t size() const { return size_; }
  // SO_SNDBUF: the most write() will hold.
  size_t capacity() const { return capacity_; }
  // What write() would take now; 0 while a lowered capacity is still below size().
  size_t free() const { return size_ < capacity_ ? capacity_ - size_ : 0; }
  // May go below size(): nothing held is dropped (it may already be in flight), write() just
  // takes nothing until ACKs bring size() under the new capacity.
  void set_capacity(size_t capacity) { capacity_ = capacity; }

  // Appends up to free() bytes of `data`; returns how many were taken.
  size_t write(std::span<const std::byte> data);
  // Copies the `out.size()` bytes that start `offset` bytes after SND.UNA into `out`, for a
  // segment or a retransmission. offset + out.size() <= size().
  void copy_out(size_t offset, std::span<std::byte> out) const;
  // The peer acknowledged `n` more bytes (SND.UNA advanced by n): drops them. n <= size().
  void consume(size_t n);

  // Storage held now, for memory accounting.
  size_t allocated_bytes() const { return store_.allocated_bytes(); }

 private:
  ChunkStore store_;
  uint64_t front_ = 0;  // stream position of the byte at SND.UNA
  size_t size_ = 0;
  size_t capacity_;
};

}  // namespace tundra::tcp
