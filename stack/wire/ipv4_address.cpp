// Text and byte forms of IPv4 addresses and prefixes.
#include "stack/wire/ipv4_address.hpp"

#include <fmt/format.h>
#include <boost/endian/conversion.hpp>
#include <charconv>

namespace tundra::wire::ipv4 {

Address Address::from_bytes(std::span<const std::byte, 4> b) {
  return Address(boost::endian::load_big_u32(reinterpret_cast<const unsigned char*>(b.data())));
}

void Address::to_bytes(std::span<std::byte, 4> out) const {
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(out.data()), v_);
}

std::optional<Address> Address::parse(std::string_view text) {
  uint32_t v = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') return std::nullopt;
    if (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9') return std::nullopt;
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || next - p > 3) return std::nullopt;
    v = v << 8 | octet;
    p = next;
  }
  if (p != end) return std::nullopt;
  return Address(v);
}

std::string Address::to_string() const {
  return fmt::format("{}.{}.{}.{}", v_ >> 24, (v_ >> 16) & 0xff, (v_ >> 8) & 0xff, v_ & 0xff);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len_text.empty() || ec != std::errc() || next != len_text.data() + len_text.size() ||
      len > 32)
    return std::nullopt;
  return Cidr{*addr, static_cast<uint8_t>(len)};
}

std::string Cidr::to_string() const {
  return fmt::format("{}/{}", address.to_string(), prefix_len);
}

}  // namespace tundra::wire::ipv4
