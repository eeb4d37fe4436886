// PacketBuffer storage: size classes with per-thread free lists, so steady traffic reuses blocks.
#include "stack/base/buffer.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <new>
#include <stdexcept>
#include <vector>

namespace tundra {

namespace {

// Block sizes: an Ethernet-MTU datagram, a jumbo frame, the largest IPv4 datagram (with room for
// a link's own header in front, such as TUN's virtio-net one, and the byte a read buffer keeps
// spare to see truncation).
constexpr std::array<size_t, 3> kClasses = {2048, 16384, 65536 + 2 * PacketBuffer::kHeadroom};
// Spare blocks a thread keeps per class: 256, and no more than 4 MiB of them. A thread that frees
// more than it takes (an application's recv() giving back datagrams kept as received data, which
// another thread read) would otherwise hold 16 MiB of 64 KiB blocks.
constexpr size_t kMaxFreePerClass = 256;
constexpr size_t kMaxFreeBytesPerClass = size_t{4} << 20;
constexpr size_t max_free(size_t cls) {
  return std::min(kMaxFreePerClass, kMaxFreeBytesPerClass / kClasses[cls]);
}

struct FreeLists {
  std::array<std::vector<std::byte*>, kClasses.size()> lists;
  ~FreeLists() {
    for (auto& l : lists)
      for (std::byte* p : l)
        ::operator delete(p);
  }
};
thread_local FreeLists free_lists;

int class_of(size_t cap) {
  for (size_t i = 0; i < kClasses.size(); ++i)
    if (cap == kClasses[i]) return static_cast<int>(i);
  return -1;
}

size_t round_up(size_t want) {
  for (size_t c : kClasses)
    if (want <= c) return c;
  return want;
}

std::byte* allocate(size_t cap) {
  const int cls = class_of(cap);
  if (cls >= 0) {
    auto& l = free_lists.lists[static_cast<size_t>(cls)];
    if (!l.empty()) {
      std::byte* p = l.back();
      l.pop_back();
      return p;
    }
  }
  return static_cast<std::byte*>(::operator new(cap));
}

}  // namespace

PacketBuffer PacketBuffer::with_capacity(size_t capacity, size_t headroom) {
  PacketBuffer b;
  b.cap_ = round_up(capacity + headroom);
  b.mem_ = allocate(b.cap_);
  b.head_ = headroom;
  b.len_ = 0;
  return b;
}

PacketBuffer PacketBuffer::copy_of(std::span<const std::byte> bytes, size_t headroom) {
  PacketBuffer b = with_capacity(bytes.size(), headroom);
  b.append(bytes);
  return b;
}

PacketBuffer PacketBuffer::clone() const {
  PacketBuffer b = with_capacity(len_ + tailroom(), head_);
  b.append(bytes());
  b.offload_ = offload_;
  return b;
}

std::span<std::byte> PacketBuffer::prepend(size_t n) {
  if (n > head_) throw std::length_error("PacketBuffer::prepend: not enough header room");
  head_ -= n;
  len_ += n;
  return {data(), n};
}

std::span<std::byte> PacketBuffer::append(size_t n) {
  if (n > tailroom()) throw std::length_error("PacketBuffer::append: not enough room");
  std::byte* p = data() + len_;
  len_ += n;
  return {p, n};
}

void PacketBuffer::trim_front(size_t n) {
  assert(n <= len_);
  head_ += n;
  len_ -= n;
}

void PacketBuffer::truncate(size_t n) {
  if (n < len_) len_ = n;
}

void PacketBuffer::swap(PacketBuffer& o) noexcept {
  std::swap(mem_, o.mem_);
  std::swap(cap_, o.cap_);
  std::swap(head_, o.head_);
  std::swap(len_, o.len_);
  std::swap(offload_, o.offload_);
}

void PacketBuffer::release() noexcept {
  offload_ = {};
  if (mem_ == nullptr) return;
  const int cls = class_of(cap_);
  if (cls >= 0) {
    auto& l = free_lists.lists[static_cast<size_t>(cls)];
    if (l.size() < max_free(static_cast<size_t>(cls))) {
      try {
        l.push_back(mem_);
        mem_ = nullptr;
        return;
      } catch (...) {
      }
    }
  }
  ::operator delete(mem_);
  mem_ = nullptr;
}

}  // namespace tundra
