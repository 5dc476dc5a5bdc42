// The load generator's SCRAM client against the example exchanges of RFC 5802 (SHA-1) and
// RFC 7677 (SHA-256), with the RFCs' client nonces; and its key cache across logins.
#include "tests/bench/scram_client.hpp"

#include <gtest/gtest.h>

#include "server/auth/base64.hpp"

namespace ofs::bench {
namespace {

constexpr std::string_view rfc7677_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc7677_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc7677_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

TEST(scram_client, sha256_matches_rfc7677_example) {
  scram_client c(scram_hash::sha256, "user", "pencil", nullptr, "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(c.mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(c.first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(c.final(rfc7677_server_first), rfc7677_client_final);
  EXPECT_TRUE(c.verify(rfc7677_server_final));
}

TEST(scram_client, sha1_matches_rfc5802_example) {
  scram_client c(scram_hash::sha1, "user", "pencil", nullptr, "fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(c.first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(c.final("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  EXPECT_TRUE(c.verify("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
}

TEST(scram_client, refuses_a_wrong_server_signature) {
  scram_client c(scram_hash::sha256, "user", "pencil", nullptr, "rOprNGfwEbeRWgbNEkqO");
  c.first();
  ASSERT_TRUE(c.final(rfc7677_server_first));
  EXPECT_FALSE(c.verify("v=" + auth::base64_encode(std::string(32, 'x'))));
  EXPECT_FALSE(c.verify("e=invalid-proof"));
}

TEST(scram_client, refuses_a_nonce_that_does_not_extend_its_own) {
  scram_client c(scram_hash::sha256, "user", "pencil", nullptr, "someothernonce");
  c.first();
  EXPECT_FALSE(c.final(rfc7677_server_first));
  EXPECT_FALSE(c.verify(rfc7677_server_final));  // nothing to verify against
}

TEST(scram_client, second_login_with_same_salt_reuses_keys_and_still_proves) {
  scram_key_cache cache;
  for (int login = 0; login < 2; ++login) {
    scram_client c(scram_hash::sha256, "user", "pencil", &cache, "rOprNGfwEbeRWgbNEkqO");
    c.first();
    EXPECT_EQ(c.final(rfc7677_server_first), rfc7677_client_final);
    EXPECT_TRUE(c.verify(rfc7677_server_final));
  }
  EXPECT_EQ(cache.derived, 1u);
  EXPECT_EQ(cache.reused, 1u);
  // A new salt (say, after a password change) derives again.
  scram_client c(scram_hash::sha256, "user", "pencil", &cache, "rOprNGfwEbeRWgbNEkqO");
  c.first();
  ASSERT_TRUE(c.final("r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=4096"));
  EXPECT_EQ(cache.derived, 2u);
}

}  // namespace
}  // namespace ofs::bench
