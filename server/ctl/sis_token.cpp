#include "server/ctl/sis_token.hpp"

#include <iostream>

#include "http/status/viewer_token.hpp"
#include "server/app/server.hpp"
#include "server/ctl/commands.hpp"

namespace ofs::ctl {

int sis_token(const app::config& cfg, const std::string& viewer, std::chrono::seconds lifetime,
              bool as_json) {
  auto who = core::jid::parse(viewer);
  if (!who || !who->is_bare() || who->node().empty()) {
    std::cerr << "ofsctl: the viewer must be a bare JID (user@domain): " << viewer << "\n";
    return usage;
  }
  if (lifetime.count() < 1) {
    std::cerr << "ofsctl: --lifetime must be at least one second\n";
    return usage;
  }
  const auto file = cfg.effective_sis_token_key_file();
  if (auto err = app::prepare_data_dir(file.parent_path()); !err.empty()) {
    std::cerr << "ofsctl: " << err << "\n";
    return failed;
  }
  std::string error;
  auto key = http::status::token_key::load_or_create(file, error);
  if (!key) {
    std::cerr << "ofsctl: " << error << "\n";
    return failed;
  }
  const auto expiry =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + lifetime;
  const std::string token = key->issue(*who, expiry);
  std::string quoted;  // nodeprep leaves '\\' the only character JSON must escape
  for (char c : who->str()) quoted += c == '\\' ? std::string("\\\\") : std::string(1, c);
  if (as_json)
    std::cout << "{\"viewer\":\"" << quoted << "\",\"token\":\"" << token
              << "\",\"expires\":" << expiry.time_since_epoch().count() << "}\n";
  else
    std::cout << token << "\n";
  return 0;
}

}  // namespace ofs::ctl
