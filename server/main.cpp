// ofsd: the OFS server. Reads the configuration, starts every listener and serves until
// SIGINT or SIGTERM. Exit codes: 0 clean stop, 1 cannot start, 2 bad configuration.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "server/app/config.hpp"
#include "server/app/logging.hpp"
#include "server/app/server.hpp"

namespace {

void print_welcome(const ofs::app::config& c, const std::vector<ofs::app::bound_port>& ports) {
  std::cout << "OFS " << OFS_VERSION << " is running for domain " << c.domains.front();
  std::cout << (c.source.empty() ? " (embedded default configuration)"
                                 : " (configuration " + c.source.string() + ")")
            << ".\n";
  for (const auto& p : ports)
    std::cout << "  " << p.name << " on " << p.at.address().to_string() << " port " << p.at.port() << "\n";
  std::cout << "Add a user:  ofsctl adduser alice@" << c.domains.front() << " 'a password'\n"
            << "Stop:        Ctrl-C\n";
  // One machine-readable line for scripts and tests.
  std::cout << "ready";
  for (const auto& p : ports) std::cout << " " << p.name << "=" << p.at.port();
  std::cout << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"OFS instant messaging and presence server"};
  std::string config_file;
  bool check_only = false;
  cli.add_option("-c,--config", config_file,
                 "configuration file (default: $OFS_CONFIG, else ./ofs.toml, else built-in defaults)");
  cli.add_flag("--check-config", check_only, "check the configuration and exit");
  cli.set_version_flag("--version", std::string("ofsd ") + OFS_VERSION);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;  // --help and --version are not errors
  }

  ofs::app::config cfg;
  std::optional<std::filesystem::path> path =
      config_file.empty() ? ofs::app::default_config_path() : std::filesystem::path(config_file);
  if (path) {
    auto loaded = ofs::app::load_config(*path);
    if (!loaded.value) {
      std::cerr << "ofsd: " << loaded.error << "\n";
      return 2;
    }
    cfg = std::move(*loaded.value);
  }
  if (check_only) {
    std::cout << "configuration " << (path ? path->string() : std::string("(built-in defaults)"))
              << " is valid\n";
    return 0;
  }
  if (auto err = ofs::app::setup_logging(cfg, "ofsd"); !err.empty()) {
    std::cerr << "ofsd: " << err << "\n";
    return 2;
  }

  ofs::app::server server(cfg);
  if (auto err = server.start(); !err.empty()) {
    spdlog::default_logger()->flush();
    std::cerr << "ofsd: " << err << "\n";
    return 1;
  }
  print_welcome(cfg, server.ports());
  server.run();
  return 0;
}
