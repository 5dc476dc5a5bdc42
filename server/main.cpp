// ofsd: the OFS server. Reads the configuration, starts every listener and serves until
// SIGINT or SIGTERM. Exit codes: 0 clean stop, 1 cannot start, 2 bad configuration.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "server/app/config.hpp"
#include "server/app/logging.hpp"
#include "server/app/server.hpp"
#include "server/app/service_manager.hpp"

#ifdef OFS_JEMALLOC
// Read by jemalloc at its start (the MALLOC_CONF environment variable overrides it): a thread
// of its own returns pages unused for a second to the system, so that a burst's memory does
// not stay resident, and no I/O thread pays for it.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

namespace {

namespace fs = std::filesystem;

// How the user can call ofsctl from where they stand: its name when the PATH finds this
// build's ofsctl, else its path (relative when below the current directory); with --config
// when ofsctl would not find ofsd's configuration by itself.
std::string ofsctl_command(const ofs::app::config& c) {
  std::error_code ec;
  const fs::path ofsctl = fs::read_symlink("/proc/self/exe", ec).parent_path() / "ofsctl";
  std::string command = "ofsctl";
  bool on_path = false;
  if (const char* path = std::getenv("PATH"))
    for (std::string_view rest = path; !rest.empty() && !on_path;) {
      const auto colon = rest.find(':');
      const fs::path dir(rest.substr(0, colon));
      on_path = fs::equivalent(dir / "ofsctl", ofsctl, ec);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  if (!on_path && !ec) {
    const fs::path relative = fs::relative(ofsctl, ec);
    const bool below = !ec && !relative.empty() && *relative.begin() != "..";
    command = !below                       ? ofsctl.string()
              : relative.has_parent_path() ? relative.string()
                                           : "./" + relative.string();
  }
  const auto found = ofs::app::default_config_path();
  if (!c.source.empty() && (!found || !fs::equivalent(*found, c.source, ec)))
    command += " --config " + c.source.string();
  return command;
}

void print_welcome(const ofs::app::config& c, const std::vector<ofs::app::bound_port>& ports) {
  std::cout << "OFS " << OFS_VERSION << " is running for domain " << c.domains.front();
  std::cout << (c.source.empty() ? " (embedded default configuration)"
                                 : " (configuration " + c.source.string() + ")")
            << ".\n";
  for (const auto& p : ports)
    std::cout << "  " << p.name << " on " << p.at.address().to_string() << " port " << p.at.port() << "\n";
  std::cout << "Add a user:  " << ofsctl_command(c) << " adduser alice@" << c.domains.front()
            << " 'a password'\n"
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
  cli.add_option("-c,--config", config_file, ofs::app::config_search_order());
  cli.add_flag("--check-config", check_only, "check the configuration and exit");
  cli.set_version_flag("--version", std::string("ofsd ") + OFS_VERSION);
  cli.footer(
      "Signals: SIGTERM or SIGINT stop gracefully; SIGHUP re-reads the configuration and the\n"
      "certificates (as 'ofsctl reload'), keeps every session and logs what needs a restart.\n"
      "Exit status: 0 clean stop, 1 cannot start, 2 bad configuration or usage.\n"
      "Administration: ofsctl. Manual: man ofsd, man ofsctl.");
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
  ofs::app::notify_ready("serving " + cfg.domains.front());
  server.run();
  return 0;
}
