#pragma once
// The server's TLS identity: the configured PEM files, or a self-signed certificate for the
// served domains generated on first start and kept in <data_dir>/tls/ for the next ones.
#include <boost/asio/ssl/context.hpp>
#include <string>

#include "server/app/config.hpp"

namespace ofs::app {

struct tls_identity {
  std::string certificate_pem;  // chain, leaf first
  std::string private_key_pem;
  std::filesystem::path certificate_file;
};

// On failure, `error` is one line saying which file and why.
struct tls_result {
  std::optional<tls_identity> identity;
  std::string error;
};
tls_result load_or_generate_identity(const config& c);

// A self-signed certificate (ECDSA P-256, SHA-256) naming the domains, localhost and 127.0.0.1.
tls_identity generate_self_signed(const std::vector<std::string>& domains);

// TLS 1.2 and 1.3 only, with the identity loaded.
boost::asio::ssl::context make_server_context(const tls_identity& id);

}  // namespace ofs::app
