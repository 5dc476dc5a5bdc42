#pragma once
// Structured logging through spdlog: one line per event, text or JSON, level from the config.
// The logger writes through one distributing sink, so a reload can swap the file, format and
// level while other threads log.
#include <string>

#include "server/app/config.hpp"

namespace ofs::app {

// Installs the default logger; returns an error line (e.g. the log file cannot be opened).
std::string setup_logging(const config& c, const std::string& program);
// Applies [log] level, format and file to the installed logger (a reopened file after a log
// rotation, too); on error nothing changes and the error line is returned.
std::string reconfigure_logging(const config& c);

}  // namespace ofs::app
