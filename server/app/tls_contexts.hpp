#pragma once
// The TLS contexts of every TLS port: one per domain with an imported certificate, chosen by
// the name the client asks for (SNI), and the default one for every other name. Listeners
// hold the default context; the SNI callback switches a connection to its domain's.
#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/app/certificate.hpp"

namespace ofs::app {

class tls_contexts {
public:
  tls_contexts(const tls_identity& default_identity, const std::vector<domain_identity>& domains);
  tls_contexts(const tls_contexts&) = delete;
  tls_contexts& operator=(const tls_contexts&) = delete;

  boost::asio::ssl::context& default_context() { return default_; }

private:
  static int on_server_name(SSL* ssl, int* alert, void* self);

  boost::asio::ssl::context default_;
  std::map<std::string, std::unique_ptr<boost::asio::ssl::context>, std::less<>> by_domain_;
};

}  // namespace ofs::app
