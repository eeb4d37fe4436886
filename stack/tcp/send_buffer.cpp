// SendBuffer: appends, copies out for segments, and gives storage back as ACKs arrive.
#include "stack/tcp/send_buffer.hpp"

#include <algorithm>
#include <cassert>

namespace tundra::tcp {

size_t SendBuffer::write(std::span<const std::byte> data) {
  const size_t n = std::min(data.size(), free());
  store_.write(front_ + size_, data.first(n));
  size_ += n;
  return n;
}

void SendBuffer::copy_out(size_t offset, std::span<std::byte> out) const {
  assert(offset <= size_ && out.size() <= size_ - offset);
  store_.read(front_ + offset, out);
}

void SendBuffer::consume(size_t n) {
  assert(n <= size_);
  // The connection only passes ACKs of data it sent, but a bad count must not run past the end.
  n = std::min(n, size_);
  front_ += n;
  size_ -= n;
  // Chunks wholly before SND.UNA go back; when empty, the chunk under SND.UNA too.
  store_.release(front_, size_ > 0 ? front_ : ChunkStore::kNothingLive);
}

}  // namespace tundra::tcp
