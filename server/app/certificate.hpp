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

// A PEM chain and key read from files and checked to match; nullopt with `error` otherwise.
std::optional<tls_identity> read_identity(const std::filesystem::path& cert_file,
                                          const std::filesystem::path& key_file, std::string& error);

// Certificates imported for one domain (ofsctl cert import) live in
// <data_dir>/certs/<domain>/fullchain.pem and privkey.pem; TLS picks them by SNI.
std::filesystem::path domain_certificate_dir(const config& c, std::string_view domain);
struct domain_identity {
  std::string domain;
  tls_identity id;
};
// Those of c.domains that have an imported certificate; a broken one is a line in `errors`.
std::vector<domain_identity> load_domain_identities(const config& c, std::vector<std::string>& errors);

// "" while the certificate is valid for more than `warn_days`; else a line saying when it
// expires (or expired), naming `what`.
std::string expiry_warning(const tls_identity& id, std::string_view what, int warn_days = 14);

// expiry_warning() of the default certificate and of each domain's.
std::vector<std::string> expiry_warnings(const tls_identity& default_id,
                                         const std::vector<domain_identity>& domains, int warn_days);

// TLS 1.2 and 1.3 only, with the identity loaded, no renegotiation, and the process's
// session tickets (tls_tickets.hpp).
boost::asio::ssl::context make_server_context(const tls_identity& id);

}  // namespace ofs::app
