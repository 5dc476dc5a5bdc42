#include "server/auth/channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace ofs::auth {
namespace {

constexpr std::string_view exporter_label = "EXPORTER-Channel-Binding";
constexpr std::size_t exporter_size = 32;

}  // namespace

const std::string* channel_binding::data_for(std::string_view type) const {
  const std::string* data = nullptr;
  if (type == "tls-exporter") data = &tls_exporter;
  if (type == "tls-server-end-point") data = &tls_server_end_point;
  return data && !data->empty() ? data : nullptr;
}

std::vector<std::string_view> channel_binding::types() const {
  std::vector<std::string_view> out;
  if (!tls_exporter.empty()) out.push_back("tls-exporter");
  if (!tls_server_end_point.empty()) out.push_back("tls-server-end-point");
  return out;
}

channel_binding channel_binding_of(SSL* ssl) {
  return {tls_exporter(ssl), tls_server_end_point(ssl)};
}

std::string tls_exporter(SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) return {};
  std::string out(exporter_size, '\0');
  // RFC 9266 uses no context; in TLS 1.3 an absent and an empty context are the same.
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 exporter_label.data(), exporter_label.size(), nullptr, 0, 0) != 1)
    return {};
  return out;
}

std::string tls_server_end_point(SSL* ssl) {
  return ssl ? tls_server_end_point(SSL_get_certificate(ssl)) : std::string();
}

std::string tls_server_end_point(X509* certificate) {
  if (!certificate) return {};
  int md_nid = NID_undef;
  if (!X509_get_signature_info(certificate, &md_nid, nullptr, nullptr, nullptr)) return {};
  if (md_nid == NID_undef) return {};  // Ed25519 and friends: undefined by RFC 5929
  if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  if (!md) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!X509_digest(certificate, md, out, &size)) return {};
  return std::string(reinterpret_cast<char*>(out), size);
}

}  // namespace ofs::auth
