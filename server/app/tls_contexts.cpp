#include "server/app/tls_contexts.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

namespace ofs::app {

tls_contexts::tls_contexts(const tls_identity& default_identity, const std::vector<domain_identity>& domains)
    : default_(make_server_context(default_identity)) {
  for (const auto& d : domains)
    by_domain_.emplace(d.domain, std::make_unique<boost::asio::ssl::context>(make_server_context(d.id)));
  if (by_domain_.empty()) return;
  SSL_CTX_set_tlsext_servername_callback(default_.native_handle(), &tls_contexts::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(default_.native_handle(), this);
}

int tls_contexts::on_server_name(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<tls_contexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_NOACK;  // no SNI: the default certificate
  std::string wanted(name);
  std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto it = self->by_domain_.find(wanted);
  if (it != self->by_domain_.end()) SSL_set_SSL_CTX(ssl, it->second->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace ofs::app
