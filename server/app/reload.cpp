#include "server/app/reload.hpp"

#include <boost/json/array.hpp>
#include <map>
#include <set>

namespace ofs::app {
namespace json = boost::json;
namespace {

// Every reloadable key and the connections it reaches; the listeners take a new settings
// snapshot per connection, so a value applies to connections made after the reload.
const std::map<std::string, std::string, std::less<>>& reloadable() {
  static const std::map<std::string, std::string, std::less<>> keys{
      {"log.level", ""},
      {"log.format", ""},
      {"log.file", ""},
      {"tls.certificate", "new TLS handshakes"},
      {"tls.private_key", "new TLS handshakes"},
      {"tls.expiry_warning_days", ""},
      {"limits.max_connections", "new connections; BOSH sessions at the next start"},
      {"limits.max_stanza_bytes", "new XMPP connections over TCP; WebSocket and BOSH at the next start"},
      {"limits.login_timeout", "new XMPP connections over TCP; WebSocket and BOSH at the next start"},
      {"limits.idle_timeout", "new XMPP connections over TCP; WebSocket and BOSH at the next start"},
      {"limits.max_http_header_bytes", "new HTTP connections"},
      {"limits.max_http_body_bytes", "new HTTP connections; BOSH at the next start"},
      {"limits.http_request_timeout", "new HTTP connections"},
      {"limits.http_idle_timeout", "new HTTP connections"},
      {"anonymous.logins_per_ip_minute", ""},
  };
  return keys;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> changed_keys(const config& before, const config& after) {
  std::set<std::string> keys;
  for (const auto& [k, v] : before.file_values)
    if (auto it = after.file_values.find(k); it == after.file_values.end() || it->second != v) keys.insert(k);
  for (const auto& [k, v] : after.file_values)
    if (!before.file_values.contains(k)) keys.insert(k);
  return {keys.begin(), keys.end()};
}

std::optional<std::string> reload_scope(std::string_view key) {
  const auto& keys = reloadable();
  if (auto it = keys.find(key); it != keys.end()) return it->second;
  return std::nullopt;
}

void take_reloadable(config& next, const config& loaded) {
  const auto changed = changed_keys(next, loaded);
  next.log_level = loaded.log_level;
  next.log_format = loaded.log_format;
  next.log_file = loaded.log_file;
  next.tls_certificate = loaded.tls_certificate;
  next.tls_private_key = loaded.tls_private_key;
  next.tls_expiry_warning_days = loaded.tls_expiry_warning_days;
  next.max_connections = loaded.max_connections;
  next.max_stanza_bytes = loaded.max_stanza_bytes;
  next.login_timeout = loaded.login_timeout;
  next.idle_timeout = loaded.idle_timeout;
  next.max_http_header_bytes = loaded.max_http_header_bytes;
  next.max_http_body_bytes = loaded.max_http_body_bytes;
  next.http_request_timeout = loaded.http_request_timeout;
  next.http_idle_timeout = loaded.http_idle_timeout;
  next.anonymous_logins_per_ip_minute = loaded.anonymous_logins_per_ip_minute;
  // What the file says now for reloadable keys; the old values for the others, so that
  // they are reported again until a restart takes them.
  for (const auto& key : changed) {
    if (!reload_scope(key)) continue;
    if (auto it = loaded.file_values.find(key); it != loaded.file_values.end())
      next.file_values[key] = it->second;
    else
      next.file_values.erase(key);
  }
}

void classify_changes(const config& before, const config& after, reload_report& report) {
  for (const auto& key : changed_keys(before, after)) {
    if (auto scope = reload_scope(key))
      report.applied.push_back(scope->empty() ? key : key + " (" + *scope + ")");
    else
      report.restart.push_back(key);
  }
}

json::object reload_report::to_json() const {
  if (!error.empty()) return {{"ok", false}, {"error", error}};
  return {{"ok", true},
          {"source", source},
          {"applied", strings(applied)},
          {"restart", strings(restart)},
          {"certificates", strings(certificates)},
          {"warnings", strings(warnings)}};
}

std::string reload_report::summary() const {
  if (!error.empty()) return "reload refused, still running on the previous configuration: " + error;
  return "reloaded " + (source.empty() ? std::string("(built-in defaults)") : source) +
         "; applied: " + joined(applied) + "; needs a restart: " + joined(restart) +
         "; certificates: " + joined(certificates);
}

}  // namespace ofs::app
