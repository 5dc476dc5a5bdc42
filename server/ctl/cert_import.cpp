#include "server/ctl/cert_import.hpp"

#include <fstream>
#include <iostream>
#include <optional>

#include "server/app/certificate.hpp"
#include "server/ctl/commands.hpp"
#include "server/ctl/run_as_owner.hpp"

namespace ofs::ctl {
namespace fs = std::filesystem;
namespace {

struct found {
  std::string domain;
  app::tls_identity id;
};

// The first place under `dir` that holds a certificate and key for `domain`.
std::optional<std::pair<fs::path, fs::path>> locate(const fs::path& dir, const std::string& domain) {
  const std::pair<fs::path, fs::path> candidates[] = {
      {dir / domain / "fullchain.pem", dir / domain / "privkey.pem"},
      {dir / "live" / domain / "fullchain.pem", dir / "live" / domain / "privkey.pem"},
      {dir / (domain + ".crt"), dir / (domain + ".key")},
  };
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::exists(c.first, ec) && fs::exists(c.second, ec)) return c;
  return std::nullopt;
}

bool write(const fs::path& p, const std::string& text, fs::perms perms) {
  const fs::path temporary = p.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    std::error_code ec;
    fs::permissions(temporary, perms, ec);  // before the key is written into it
    if (!out || !(out << text) || !out.flush() || ec) return false;
  }
  std::error_code ec;
  fs::rename(temporary, p, ec);  // a running ofsd never reads half a file
  return !ec;
}

}  // namespace

int cert_import(const app::config& c, const std::vector<fs::path>& dirs) {
  std::vector<found> certificates;
  for (const auto& domain : c.domains)
    for (const auto& dir : dirs) {
      auto files = locate(dir, domain);
      if (!files) continue;
      std::string error;
      auto id = app::read_identity(files->first, files->second, error);
      if (!id) {
        std::cerr << "ofsctl: " << error << "\n";
        return failed;
      }
      if (auto w = app::expiry_warning(*id, "the certificate of " + domain, 0); !w.empty()) {
        std::cerr << "ofsctl: " << w << ": not imported\n";
        return failed;
      }
      certificates.push_back({domain, std::move(*id)});
      break;
    }
  if (certificates.empty()) {
    std::cerr << "ofsctl: no certificate for any served domain (";
    for (const auto& d : c.domains) std::cerr << d << (&d == &c.domains.back() ? "" : ", ");
    std::cerr << ") in the given directories\n";
    return failed;
  }
  if (auto err = run_as_owner_of(c.data_dir); !err.empty()) {
    std::cerr << "ofsctl: " << err << "\n";
    return failed;
  }
  for (const auto& f : certificates) {
    const auto dir = app::domain_certificate_dir(c, f.domain);
    std::error_code ec;
    fs::create_directories(dir, ec);
    using p = fs::perms;
    if (ec || !write(dir / "privkey.pem", f.id.private_key_pem, p::owner_read | p::owner_write) ||
        !write(dir / "fullchain.pem", f.id.certificate_pem,
               p::owner_read | p::owner_write | p::group_read | p::others_read)) {
      std::cerr << "ofsctl: cannot write " << dir.string() << "\n";
      return failed;
    }
    std::cout << "imported the certificate of " << f.domain << " from " << f.id.certificate_file.string();
    if (auto w = app::expiry_warning(f.id, "it"); !w.empty()) std::cout << " (" << w << ")";
    std::cout << "\n";
  }
  std::cout << "ofsd uses them from its next start\n";
  return ok;
}

}  // namespace ofs::ctl
