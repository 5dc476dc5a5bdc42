#include "server/auth/base64.hpp"

#include <gtest/gtest.h>

namespace ofs::auth {
namespace {

TEST(base64, rfc4648_vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::string(plain)) << encoded;
  }
}

TEST(base64, binary_and_large_inputs_round_trip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);

  std::string big;  // crosses the internal block boundaries, with each padding length
  for (std::size_t n : {3 * 16384 - 1, 3 * 16384, 3 * 16384 + 1, 200000}) {
    big.resize(n);
    for (std::size_t i = 0; i < n; ++i) big[i] = static_cast<char>(i * 7 + n);
    auto encoded = base64_encode(big);
    EXPECT_EQ(encoded.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(encoded), big) << n;
  }
}

TEST(base64, strict_decoding_rejects_garbage) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "Zg",            // missing padding
           "Zg=",           // length
           "Z===",          // too much padding
           "====",          //
           "Zm9v====",      //
           "Zm=v",          // padding inside
           "Zg==Zm9v",      // data after padding
           "Zh==",          // non-zero pad bits
           "Zm9=",          //
           "Zm9v\n",        // whitespace
           " Zm9v",         //
           "Zm 9v",         //
           "Zm-_",          // URL-safe alphabet
           "Zm9\xC3",       // non-ASCII
           std::string_view("Zm\0v", 4),
       }) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace ofs::auth
