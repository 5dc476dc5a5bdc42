#pragma once
// Structured logging through spdlog: one line per event, text or JSON, level from the config.
#include <string>

#include "server/app/config.hpp"

namespace ofs::app {

// Installs the default logger; returns an error line (e.g. the log file cannot be opened).
std::string setup_logging(const config& c, const std::string& program);

}  // namespace ofs::app
