// IPv4 addresses and CIDR prefixes as values (host byte order inside, network order on the wire).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tundra::wire::ipv4 {

class Address {
 public:
  constexpr Address() = default;
  constexpr explicit Address(uint32_t host_order) : v_(host_order) {}
  constexpr Address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
      : v_(uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d) {}

  // Reads four bytes in network order.
  static Address from_bytes(std::span<const std::byte, 4> b);
  // Writes four bytes in network order.
  void to_bytes(std::span<std::byte, 4> out) const;
  // Dotted quad "a.b.c.d" (no leading zeros, no shorthand), or nullopt.
  static std::optional<Address> parse(std::string_view text);
  std::string to_string() const;

  constexpr uint32_t value() const { return v_; }
  constexpr bool is_unspecified() const { return v_ == 0; }
  constexpr bool is_broadcast() const { return v_ == 0xffffffffu; }
  constexpr bool is_multicast() const { return (v_ >> 28) == 0xe; }
  constexpr bool is_loopback() const { return (v_ >> 24) == 127; }
  constexpr auto operator<=>(const Address&) const = default;

  static const Address kUnspecified;
  static const Address kBroadcast;

 private:
  uint32_t v_ = 0;
};

inline constexpr Address Address::kUnspecified{0u};
inline constexpr Address Address::kBroadcast{0xffffffffu};

// An address with a prefix length: "10.0.0.2/24".
struct Cidr {
  Address address;
  uint8_t prefix_len = 32;

  static std::optional<Cidr> parse(std::string_view text);
  std::string to_string() const;

  constexpr uint32_t netmask() const {
    return prefix_len == 0 ? 0u : ~uint32_t{0} << (32 - prefix_len);
  }
  constexpr Address network() const { return Address(address.value() & netmask()); }
  constexpr Address broadcast() const { return Address(address.value() | ~netmask()); }
  constexpr bool contains(Address a) const {
    return (a.value() & netmask()) == (address.value() & netmask());
  }
  constexpr bool operator==(const Cidr&) const = default;
};

}  // namespace tundra::wire::ipv4
