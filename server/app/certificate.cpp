#include "server/app/certificate.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "server/app/tls_tickets.hpp"

namespace ofs::app {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_file(const std::filesystem::path& p, const std::string& text, std::filesystem::perms perms) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out || !(out << text) || !out.flush()) return false;
  std::error_code ec;
  std::filesystem::permissions(p, perms, ec);
  return !ec;
}

// Checks that the key matches the certificate, so a wrong pair fails at start, not at the
// first handshake.
std::string check_pair(const tls_identity& id) {
  bio_ptr cb(BIO_new_mem_buf(id.certificate_pem.data(), static_cast<int>(id.certificate_pem.size())));
  bio_ptr kb(BIO_new_mem_buf(id.private_key_pem.data(), static_cast<int>(id.private_key_pem.size())));
  x509_ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!cert) return "is not a PEM certificate";
  pkey_ptr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!key) return "has no PEM private key to go with it";
  if (X509_check_private_key(cert.get(), key.get()) != 1) return "does not match its private key";
  return {};
}

}  // namespace

tls_identity generate_self_signed(const std::vector<std::string>& domains) {
  pkey_ptr key(EVP_EC_gen("P-256"));
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 825);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string& cn = domains.empty() ? std::string("localhost") : domains.front();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("OFS"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  std::string san;
  for (const auto& d : domains) san += "DNS:" + d + ",";
  san += "DNS:localhost,IP:127.0.0.1,IP:::1";
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, san.c_str()}, std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_ext_key_usage, "serverAuth,clientAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());

  bio_ptr cb(BIO_new(BIO_s_mem())), kb(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cb.get(), cert.get());
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_string(cb.get()), bio_string(kb.get()), {}};
}

std::optional<tls_identity> read_identity(const std::filesystem::path& cert_file,
                                          const std::filesystem::path& key_file, std::string& error) {
  auto cert = read_file(cert_file);
  if (!cert) return error = "cannot read TLS certificate " + cert_file.string(), std::nullopt;
  auto key = read_file(key_file);
  if (!key) return error = "cannot read TLS private key " + key_file.string(), std::nullopt;
  tls_identity id{std::move(*cert), std::move(*key), cert_file};
  if (auto why = check_pair(id); !why.empty())
    return error = "TLS certificate " + cert_file.string() + " " + why, std::nullopt;
  return id;
}

std::filesystem::path domain_certificate_dir(const config& c, std::string_view domain) {
  return c.data_dir / "certs" / std::string(domain);
}

std::vector<domain_identity> load_domain_identities(const config& c, std::vector<std::string>& errors) {
  std::vector<domain_identity> out;
  for (const auto& domain : c.domains) {
    const auto dir = domain_certificate_dir(c, domain);
    std::error_code ec;
    if (!std::filesystem::exists(dir / "fullchain.pem", ec)) continue;
    std::string error;
    if (auto id = read_identity(dir / "fullchain.pem", dir / "privkey.pem", error))
      out.push_back({domain, std::move(*id)});
    else
      errors.push_back(std::move(error));
  }
  return out;
}

std::string expiry_warning(const tls_identity& id, std::string_view what, int warn_days) {
  bio_ptr cb(BIO_new_mem_buf(id.certificate_pem.data(), static_cast<int>(id.certificate_pem.size())));
  x509_ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!cert) return std::string(what) + " is not a PEM certificate";
  int days = 0, seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())) != 1)
    return std::string(what) + " has an unreadable expiry date";
  if (days > warn_days) return {};
  bio_ptr text(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(text.get(), X509_get0_notAfter(cert.get()));
  const std::string when = bio_string(text.get());
  if (days < 0 || (days == 0 && seconds <= 0)) return std::string(what) + " EXPIRED on " + when;
  return std::string(what) + " expires on " + when + " (in " + std::to_string(days) + " days)";
}

std::vector<std::string> expiry_warnings(const tls_identity& default_id,
                                         const std::vector<domain_identity>& domains, int warn_days) {
  std::vector<std::string> out;
  if (auto w =
          expiry_warning(default_id, "TLS certificate " + default_id.certificate_file.string(), warn_days);
      !w.empty())
    out.push_back(std::move(w));
  for (const auto& d : domains)
    if (auto w = expiry_warning(d.id, "TLS certificate of " + d.domain, warn_days); !w.empty())
      out.push_back(std::move(w));
  return out;
}

tls_result load_or_generate_identity(const config& c) {
  const bool configured = !c.tls_certificate.empty();
  auto cert_file = configured ? c.tls_certificate : c.data_dir / "tls" / "cert.pem";
  auto key_file = configured ? c.tls_private_key : c.data_dir / "tls" / "key.pem";
  if (configured || std::filesystem::exists(cert_file)) {
    std::string error;
    auto id = read_identity(cert_file, key_file, error);
    return {std::move(id), std::move(error)};
  }
  tls_identity id = generate_self_signed(c.domains);
  id.certificate_file = cert_file;
  std::error_code ec;
  std::filesystem::create_directories(cert_file.parent_path(), ec);
  if (ec ||
      !write_file(key_file, id.private_key_pem,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write) ||
      !write_file(cert_file, id.certificate_pem,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                      std::filesystem::perms::group_read | std::filesystem::perms::others_read))
    return {std::nullopt,
            "cannot write the generated TLS certificate to " + cert_file.parent_path().string()};
  return {std::move(id), {}};
}

boost::asio::ssl::context make_server_context(const tls_identity& id) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  ctx.use_certificate_chain(boost::asio::buffer(id.certificate_pem));
  ctx.use_private_key(boost::asio::buffer(id.private_key_pem), ssl::context::pem);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
  use_shared_tickets(ctx.native_handle());
  return ctx;
}

}  // namespace ofs::app
