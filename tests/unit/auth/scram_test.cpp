#include "server/auth/scram.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "server/auth/base64.hpp"

namespace ofs::auth {
namespace {

std::string b64(std::string_view s) {
  auto d = base64_decode(s);
  EXPECT_TRUE(d) << s;
  return d.value_or("");
}

// An RFC example exchange, as the server sees it.
struct exchange {
  scram_hash hash;
  std::string_view salt, client_first_bare, server_first, client_final_without_proof, proof,
      signature;
  std::string auth_message() const {
    return std::string(client_first_bare) + "," + std::string(server_first) + "," +
           std::string(client_final_without_proof);
  }
};

constexpr exchange rfc5802{
    scram_hash::sha1,
    "QSXCR+Q6sek8bf92",
    "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
    "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    "rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

constexpr exchange rfc7677{
    scram_hash::sha256,
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

void check_rfc_exchange(const exchange& x, std::size_t hash_size) {
  auto c = derive_credentials(x.hash, "pencil", b64(x.salt), 4096);
  EXPECT_EQ(c.hash, x.hash);
  EXPECT_EQ(c.iterations, 4096u);
  EXPECT_EQ(c.salt, b64(x.salt));
  EXPECT_EQ(c.stored_key.size(), hash_size);
  EXPECT_EQ(c.server_key.size(), hash_size);

  EXPECT_TRUE(verify_client_proof(c, x.auth_message(), b64(x.proof)));
  EXPECT_EQ(server_signature(c, x.auth_message()), b64(x.signature));

  auto tampered = b64(x.proof);
  tampered[3] ^= 0x01;
  EXPECT_FALSE(verify_client_proof(c, x.auth_message(), tampered));
  EXPECT_FALSE(verify_client_proof(c, x.auth_message(), b64(x.proof).substr(1)));
  EXPECT_FALSE(verify_client_proof(c, x.auth_message() + "x", b64(x.proof)));
  EXPECT_FALSE(verify_client_proof(derive_credentials(x.hash, "pencil2", b64(x.salt), 4096),
                                   x.auth_message(), b64(x.proof)));
}

TEST(scram, rfc5802_sha1_example) { check_rfc_exchange(rfc5802, 20); }
TEST(scram, rfc7677_sha256_example) { check_rfc_exchange(rfc7677, 32); }

TEST(scram, fresh_credentials_use_a_random_salt) {
  auto a = make_credentials(scram_hash::sha256, "pencil");
  auto b = make_credentials(scram_hash::sha256, "pencil");
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  EXPECT_EQ(a.iterations, default_iterations);
  EXPECT_EQ(derive_credentials(scram_hash::sha256, "pencil", a.salt, a.iterations), a);
}

TEST(scram, zero_iterations_is_a_caller_bug) {
  EXPECT_THROW(derive_credentials(scram_hash::sha1, "pencil", "salt", 0), std::invalid_argument);
}

TEST(scram, mechanism_names) {
  EXPECT_EQ(mechanism_name(scram_hash::sha1), "SCRAM-SHA-1");
  EXPECT_EQ(mechanism_name(scram_hash::sha256), "SCRAM-SHA-256");
  EXPECT_EQ(hash_from_name("SCRAM-SHA-1"), scram_hash::sha1);
  EXPECT_EQ(hash_from_name("SCRAM-SHA-256"), scram_hash::sha256);
  EXPECT_EQ(hash_from_name("SCRAM-SHA-256-PLUS"), std::nullopt);
  EXPECT_EQ(hash_from_name("scram-sha-1"), std::nullopt);
  EXPECT_EQ(hash_from_name("PLAIN"), std::nullopt);
}

TEST(saslprep, rfc4013_examples) {
  EXPECT_EQ(saslprep("I\xC2\xAD" "X"), "IX");      // SOFT HYPHEN maps to nothing
  EXPECT_EQ(saslprep("user"), "user");
  EXPECT_EQ(saslprep("USER"), "USER");             // no case folding
  EXPECT_EQ(saslprep("\xC2\xAA"), "a");            // FEMININE ORDINAL: NFKC
  EXPECT_EQ(saslprep("\xE2\x85\xA8"), "IX");       // ROMAN NUMERAL NINE: NFKC
  EXPECT_EQ(saslprep("\x07"), std::nullopt);       // prohibited control
  EXPECT_EQ(saslprep("\xD8\xA7" "1"), std::nullopt);  // bidi rule
}

TEST(saslprep, maps_spaces_and_refuses_the_unusable) {
  EXPECT_EQ(saslprep("a\xC2\xA0" "b"), "a b");          // NO-BREAK SPACE to SPACE
  EXPECT_EQ(saslprep("pass word"), "pass word");
  EXPECT_EQ(saslprep(""), std::nullopt);
  EXPECT_EQ(saslprep("\xC2\xAD"), std::nullopt);        // prepares to nothing
  EXPECT_EQ(saslprep(std::string_view("a\0b", 3)), std::nullopt);
  EXPECT_EQ(saslprep("\xC3\x28"), std::nullopt);        // invalid UTF-8
  EXPECT_EQ(saslprep("\xC8\xA1"), std::nullopt);        // U+0221: unassigned in Unicode 3.2
}

}  // namespace
}  // namespace ofs::auth
