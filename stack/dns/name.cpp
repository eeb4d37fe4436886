// Domain names between text and wire form (RFC 1035 3.1), with compression on the way in (4.1.4).
#include "stack/dns/name.hpp"

#include <optional>

#include "stack/wire/field.hpp"

namespace tundra::dns {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 1035 5.1: "\." and "\\" for the separator and escape, "\DDD" for unprintable octets.
void append_escaped(std::string& text, uint8_t octet) {
  if (octet == '.' || octet == '\\') {
    text.push_back('\\');
    text.push_back(static_cast<char>(octet));
  } else if (octet < 0x21 || octet > 0x7e) {
    text.push_back('\\');
    text.push_back(static_cast<char>('0' + octet / 100));
    text.push_back(static_cast<char>('0' + octet / 10 % 10));
    text.push_back(static_cast<char>('0' + octet % 10));
  } else {
    text.push_back(static_cast<char>(octet));
  }
}

uint8_t fold(std::byte b) {
  auto c = static_cast<uint8_t>(b);
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c - 'A' + 'a') : c;
}

}  // namespace

Result<std::vector<std::byte>, DnsError> encode_name(std::string_view text) {
  std::vector<std::byte> out;
  if (text == ".") text = "";
  std::string label;
  auto flush = [&]() -> std::optional<DnsError> {
    if (label.empty()) return DnsError::kBadNameText;  // "a..b", ".a"
    if (label.size() > kMaxLabel) return DnsError::kLabelTooLong;
    out.push_back(static_cast<std::byte>(label.size()));
    for (char c : label)
      out.push_back(static_cast<std::byte>(c));
    label.clear();
    return std::nullopt;
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      if (auto e = flush()) return Err{*e};
      ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return Err{DnsError::kBadNameText};
      if (is_digit(text[i + 1])) {
        if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3]))
          return Err{DnsError::kBadNameText};
        int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return Err{DnsError::kBadNameText};
        label.push_back(static_cast<char>(v));
        i += 4;
      } else {
        label.push_back(text[i + 1]);
        i += 2;
      }
      continue;
    }
    label.push_back(c);
    ++i;
  }
  if (!label.empty()) {
    if (auto e = flush()) return Err{*e};
  }
  out.push_back(std::byte{0});
  if (out.size() > kMaxName) return Err{DnsError::kNameTooLong};
  return out;
}

Result<DecodedName, DnsError> decode_name(std::span<const std::byte> msg, size_t offset,
                                          DnsError truncated) {
  DecodedName name{"", 0};
  bool jumped = false;
  size_t pos = offset;
  size_t run_start = offset;  // where the labels being read began: pointers must go before it
  size_t wire_len = 0;
  size_t jumps = 0;
  for (;;) {
    if (pos >= msg.size()) return Err{truncated};
    uint8_t len = wire::get8(msg.data(), pos);
    if ((len & 0xc0) == 0xc0) {  // RFC 1035 4.1.4: a pointer, 11 then a 14-bit offset
      if (pos + 1 >= msg.size()) return Err{truncated};
      size_t target = wire::get16(msg.data(), pos) & 0x3fffu;
      if (!jumped) name.end = pos + 2;
      jumped = true;
      if (target >= run_start || ++jumps > kMaxPointers) return Err{DnsError::kBadPointer};
      pos = run_start = target;
      continue;
    }
    if (len & 0xc0) return Err{DnsError::kLabelTooLong};  // 01 and 10 are reserved
    wire_len += 1 + len;
    if (wire_len > kMaxName) return Err{DnsError::kNameTooLong};
    if (len == 0) {
      if (!jumped) name.end = pos + 1;
      return name;
    }
    if (pos + 1 + len > msg.size()) return Err{truncated};
    if (!name.text.empty()) name.text.push_back('.');
    for (size_t i = 0; i < len; ++i)
      append_escaped(name.text, wire::get8(msg.data(), pos + 1 + i));
    pos += 1 + len;
  }
}

bool names_equal(std::string_view a, std::string_view b) {
  auto wa = encode_name(a);
  auto wb = encode_name(b);
  if (!wa.ok() || !wb.ok() || wa->size() != wb->size()) return false;
  // Length octets are at most 63, below 'A', so folding them changes nothing.
  for (size_t i = 0; i < wa->size(); ++i)
    if (fold((*wa)[i]) != fold((*wb)[i])) return false;
  return true;
}

}  // namespace tundra::dns
