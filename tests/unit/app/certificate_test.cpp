#include "server/app/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ssl/context.hpp>
#include <fstream>

TEST(certificate, self_signed_names_the_domains_and_loads_into_tls) {
  auto id = ofs::app::generate_self_signed({"example.com"});
  BIO* bio = BIO_new_mem_buf(id.certificate_pem.data(), static_cast<int>(id.certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "other.org", 0, 0, nullptr), 0);
  X509_free(cert);
  BIO_free(bio);
  EXPECT_NO_THROW(ofs::app::make_server_context(id));
}

TEST(certificate, generated_once_then_reused) {
  auto dir = std::filesystem::temp_directory_path() / ("ofs-cert-" + std::to_string(::getpid()));
  ofs::app::config c;
  c.data_dir = dir;
  auto first = ofs::app::load_or_generate_identity(c);
  ASSERT_TRUE(first.identity) << first.error;
  auto second = ofs::app::load_or_generate_identity(c);
  ASSERT_TRUE(second.identity) << second.error;
  EXPECT_EQ(first.identity->certificate_pem, second.identity->certificate_pem);
  auto perms = std::filesystem::status(dir / "tls" / "key.pem").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read, std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

TEST(certificate, mismatched_pair_is_a_clear_error) {
  auto dir = std::filesystem::temp_directory_path() / ("ofs-cert-bad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto a = ofs::app::generate_self_signed({"a.example"});
  auto b = ofs::app::generate_self_signed({"b.example"});
  std::ofstream(dir / "cert.pem") << a.certificate_pem;
  std::ofstream(dir / "key.pem") << b.private_key_pem;
  ofs::app::config c;
  c.tls_certificate = dir / "cert.pem";
  c.tls_private_key = dir / "key.pem";
  auto r = ofs::app::load_or_generate_identity(c);
  EXPECT_FALSE(r.identity);
  EXPECT_EQ(r.error, "TLS certificate " + (dir / "cert.pem").string() + " does not match its private key");
  std::filesystem::remove_all(dir);
}
