// Big-endian field access at byte offsets, over Boost.Endian's unaligned loads and stores. Each
// header's view names its field offsets once and reads and writes through these.
#pragma once

#include <boost/endian/conversion.hpp>
#include <cstddef>
#include <cstdint>

namespace tundra::wire {

inline const unsigned char* uc(const std::byte* p) {
  return reinterpret_cast<const unsigned char*>(p);
}
inline unsigned char* uc(std::byte* p) {
  return reinterpret_cast<unsigned char*>(p);
}

inline uint8_t get8(const std::byte* p, size_t off) {
  return static_cast<uint8_t>(p[off]);
}
inline uint16_t get16(const std::byte* p, size_t off) {
  return boost::endian::load_big_u16(uc(p + off));
}
inline uint32_t get32(const std::byte* p, size_t off) {
  return boost::endian::load_big_u32(uc(p + off));
}
inline void set8(std::byte* p, size_t off, uint8_t v) {
  p[off] = static_cast<std::byte>(v);
}
inline void set16(std::byte* p, size_t off, uint16_t v) {
  boost::endian::store_big_u16(uc(p + off), v);
}
inline void set32(std::byte* p, size_t off, uint32_t v) {
  boost::endian::store_big_u32(uc(p + off), v);
}

}  // namespace tundra::wire
