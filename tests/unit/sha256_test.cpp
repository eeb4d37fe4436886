// SHA-256 (apps/common/sha256) against the FIPS 180-4 example vectors published by NIST, and the
// same digest for a message however update() calls split it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "apps/common/sha256.hpp"

namespace tundra::app {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string sha256_hex(std::string_view s) {
  Sha256 h;
  h.update(bytes(s));
  return Sha256::hex(h.digest());
}

TEST(Sha256, Abc) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessageOf448Bits) {
  // 56 bytes: the padding no longer fits in the first block, so a second one is hashed.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OneMillionTimesA) {
  const std::string chunk(1000, 'a');
  Sha256 h;
  for (int i = 0; i < 1000; ++i)
    h.update(bytes(chunk));
  EXPECT_EQ(Sha256::hex(h.digest()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, DigestStartsANewMessage) {
  Sha256 h;
  h.update(bytes("abc"));
  h.digest();
  EXPECT_EQ(Sha256::hex(h.digest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, SplitAtEveryBoundaryGivesTheSameDigest) {
  // Longer than one block so that splits fall before, inside and after the first 64 bytes.
  std::string msg;
  for (int i = 0; i < 150; ++i)
    msg.push_back(static_cast<char>('!' + (i * 37) % 90));
  const std::string want = sha256_hex(msg);
  for (size_t i = 0; i <= msg.size(); ++i) {
    for (size_t j = i; j <= msg.size(); j += 7) {
      Sha256 h;
      const std::string_view v(msg);
      h.update(bytes(v.substr(0, i)));
      h.update(bytes(v.substr(i, j - i)));
      h.update(bytes(v.substr(j)));
      ASSERT_EQ(Sha256::hex(h.digest()), want) << "split at " << i << " and " << j;
    }
  }
}

TEST(Sha256, OneByteAtATime) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 h;
  for (char c : msg)
    h.update(bytes(std::string_view(&c, 1)));
  EXPECT_EQ(Sha256::hex(h.digest()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace tundra::app
