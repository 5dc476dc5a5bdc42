#include "server/auth/channel_binding.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace ofs::auth {
namespace {

using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using cert_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

key_ptr ec_key() { return {EVP_EC_gen("P-256"), &EVP_PKEY_free}; }

// A self-signed certificate; md nullptr for algorithms with a built-in hash (Ed25519).
cert_ptr self_signed(EVP_PKEY* key, const EVP_MD* md) {
  cert_ptr x(X509_new(), &X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key);
  auto* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("example.com"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  EXPECT_GT(X509_sign(x.get(), key, md), 0);
  return x;
}

std::string digest(X509* x, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(x, md, out, &n);
  return {reinterpret_cast<char*>(out), n};
}

// A client and a server talking through an in-memory BIO pair.
struct tls_pair {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> server_ctx{SSL_CTX_new(TLS_server_method()),
                                                               &SSL_CTX_free};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ctx{SSL_CTX_new(TLS_client_method()),
                                                               &SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> server{nullptr, &SSL_free}, client{nullptr, &SSL_free};

  tls_pair(X509* cert, EVP_PKEY* key, int max_version) {
    SSL_CTX_use_certificate(server_ctx.get(), cert);
    SSL_CTX_use_PrivateKey(server_ctx.get(), key);
    SSL_CTX_set_max_proto_version(server_ctx.get(), max_version);
    server.reset(SSL_new(server_ctx.get()));
    client.reset(SSL_new(client_ctx.get()));
    BIO *a = nullptr, *b = nullptr;
    BIO_new_bio_pair(&a, 0, &b, 0);
    SSL_set_bio(server.get(), a, a);
    SSL_set_bio(client.get(), b, b);
    SSL_set_accept_state(server.get());
    SSL_set_connect_state(client.get());
  }
  bool handshake() {
    for (int round = 0; round < 10; ++round) {
      int c = SSL_do_handshake(client.get());
      int s = SSL_do_handshake(server.get());
      if (c == 1 && s == 1) return true;
    }
    return false;
  }
};

TEST(channel_binding, tls13_gives_both_bindings_and_both_ends_agree) {
  auto key = ec_key();
  auto cert = self_signed(key.get(), EVP_sha256());
  tls_pair tls(cert.get(), key.get(), TLS1_3_VERSION);
  EXPECT_EQ(tls_exporter(tls.server.get()), "");  // not before the handshake
  ASSERT_TRUE(tls.handshake());
  auto cb = channel_binding_of(tls.server.get());
  EXPECT_EQ(cb.tls_exporter.size(), 32u);
  EXPECT_EQ(cb.tls_exporter, tls_exporter(tls.client.get()));
  EXPECT_EQ(cb.tls_server_end_point, digest(cert.get(), EVP_sha256()));
  EXPECT_EQ(cb.tls_server_end_point,
            tls_server_end_point(SSL_get0_peer_certificate(tls.client.get())));
  EXPECT_EQ(cb.types(), (std::vector<std::string_view>{"tls-exporter", "tls-server-end-point"}));

  tls_pair other(cert.get(), key.get(), TLS1_3_VERSION);
  ASSERT_TRUE(other.handshake());
  EXPECT_NE(tls_exporter(other.server.get()), cb.tls_exporter);  // per connection
}

TEST(channel_binding, tls12_has_no_exporter_binding) {
  auto key = ec_key();
  auto cert = self_signed(key.get(), EVP_sha256());
  tls_pair tls(cert.get(), key.get(), TLS1_2_VERSION);
  ASSERT_TRUE(tls.handshake());
  auto cb = channel_binding_of(tls.server.get());
  EXPECT_EQ(cb.tls_exporter, "");
  EXPECT_EQ(cb.tls_server_end_point, digest(cert.get(), EVP_sha256()));
  EXPECT_EQ(cb.types(), std::vector<std::string_view>{"tls-server-end-point"});
  EXPECT_EQ(cb.data_for("tls-exporter"), nullptr);
  EXPECT_EQ(cb.data_for("tls-server-end-point"), &cb.tls_server_end_point);
  EXPECT_EQ(cb.data_for("tls-unique"), nullptr);
}

TEST(channel_binding, end_point_hash_follows_the_signature_algorithm) {
  auto key = ec_key();
  auto sha384 = self_signed(key.get(), EVP_sha384());
  EXPECT_EQ(tls_server_end_point(sha384.get()), digest(sha384.get(), EVP_sha384()));
  auto sha1 = self_signed(key.get(), EVP_sha1());  // RFC 5929: SHA-1 becomes SHA-256
  EXPECT_EQ(tls_server_end_point(sha1.get()), digest(sha1.get(), EVP_sha256()));

  key_ptr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  auto ed_cert = self_signed(ed.get(), nullptr);
  EXPECT_EQ(tls_server_end_point(ed_cert.get()), "");  // undefined by RFC 5929
  EXPECT_EQ(tls_server_end_point(static_cast<X509*>(nullptr)), "");
  EXPECT_EQ(tls_server_end_point(static_cast<SSL*>(nullptr)), "");
  EXPECT_FALSE(channel_binding{}.available());
}

}  // namespace
}  // namespace ofs::auth
