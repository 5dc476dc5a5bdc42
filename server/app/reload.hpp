#pragma once
// Reload (SIGHUP, ofsctl reload): which settings a running server takes from a re-read
// configuration and which wait for a restart, and the report of one reload.
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "server/app/config.hpp"

namespace ofs::app {

struct reload_report {
  std::string error;                      // set: refused, nothing changed
  std::string source;                     // the file re-read; empty: built-in defaults
  std::vector<std::string> applied;       // changed keys now in effect, with where they apply
  std::vector<std::string> restart;       // changed keys that take effect at the next start
  std::vector<std::string> certificates;  // loaded: the default one's file, then domains
  std::vector<std::string> warnings;      // certificates about to expire

  boost::json::object to_json() const;
  std::string summary() const;  // one line for the log
};

// The dotted keys whose value differs between the two files (set, changed or removed).
std::vector<std::string> changed_keys(const config& before, const config& after);
// Where a reload applies a key ("" for every new connection), or nullopt: restart only.
std::optional<std::string> reload_scope(std::string_view key);
// Copies the reloadable settings of `loaded` into `running`; every other setting (and its
// file value) stays as it runs, so a later reload still reports it as waiting for a restart.
// Only these fields are written: parts of the running config are read by reference.
void take_reloadable(config& running, const config& loaded);
// Fills applied and restart from the keys that changed.
void classify_changes(const config& before, const config& after, reload_report& report);

}  // namespace ofs::app
