#pragma once
// Channel-binding data (RFC 5056) for SCRAM-*-PLUS, taken from a c2s TLS connection once its
// handshake is done. The TLS layer fills it; the SASL mechanisms only compare bytes with it.
#include <openssl/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace ofs::auth {

// An empty field means that binding type is not available on this connection.
struct channel_binding {
  std::string tls_exporter;          // RFC 9266: 32 bytes, TLS 1.3 only
  std::string tls_server_end_point;  // RFC 5929 section 4.1: hash of the server certificate

  bool available() const { return !tls_exporter.empty() || !tls_server_end_point.empty(); }
  // The data for a type named in a GS2 header; nullptr when unknown or not available.
  const std::string* data_for(std::string_view type) const;
  // The available type names, for XEP-0440's <sasl-channel-binding/> stream feature.
  std::vector<std::string_view> types() const;
};

// Both bindings of an established server-side connection (fields empty when unavailable).
channel_binding channel_binding_of(SSL* ssl);

// "" unless the handshake is complete and the protocol is TLS 1.3: RFC 9266 allows TLS 1.2
// only with the extended master secret, which we do not check.
std::string tls_exporter(SSL* ssl);

// The certificate's hash with the hash of its signature algorithm (SHA-256 instead of MD5 or
// SHA-1). "" when there is no certificate or the algorithm has no single hash (Ed25519,
// Ed448): RFC 5929 leaves those undefined, so we do not guess.
std::string tls_server_end_point(SSL* ssl);
std::string tls_server_end_point(X509* certificate);

}  // namespace ofs::auth
