#include "server/app/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "http/host_meta.hpp"
#include "server/core/jid.hpp"

namespace ofs::app {
namespace {

struct config_error {
  std::string message;
};

// Walks a parsed document: reads known keys with their types and ranges, and remembers
// which keys it read so that anything else is reported as unknown.
class reader {
public:
  reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  const toml::node* node(std::string_view path) {
    known_.emplace_back(path);
    return root_.at_path(path).node();
  }

  template <class T>
  std::optional<T> get(std::string_view path) {
    known_.emplace_back(path);
    const toml::node* node = root_.at_path(path).node();
    if (!node) return std::nullopt;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) return *v;
      fail(*node, path, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value_exact<bool>()) return *v;
      fail(*node, path, "must be true or false");
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      if (auto v = node->value_exact<std::int64_t>()) return *v;
      fail(*node, path, "must be an integer");
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      const toml::array* arr = node->as_array();
      if (!arr) fail(*node, path, "must be an array of strings");
      std::vector<std::string> out;
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) fail(item, path, "must be an array of strings");
        out.push_back(*v);
      }
      return out;
    }
    return std::nullopt;
  }

  std::int64_t integer(std::string_view path, std::int64_t def, std::int64_t min, std::int64_t max) {
    auto v = get<std::int64_t>(path);
    if (!v) return def;
    if (*v < min || *v > max)
      fail(*root_.at_path(path).node(), path,
           "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return *v;
  }

  std::string one_of(std::string_view path, std::string def,
                     std::initializer_list<std::string_view> allowed) {
    auto v = get<std::string>(path);
    if (!v) return def;
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(*root_.at_path(path).node(), path, "must be one of " + list);
    }
    return *v;
  }

  [[noreturn]] void fail(const toml::node& node, std::string_view path, const std::string& what) {
    throw config_error{where(node) + "'" + std::string(path) + "' " + what};
  }

  // Any key that no get() asked for is a mistake (a typo, or an option of another version).
  void reject_unknown() const { check_table(root_, ""); }

private:
  std::string where(const toml::node& node) const {
    auto line = node.source().begin.line;
    return source_ + (line ? ":" + std::to_string(line) : "") + ": ";
  }
  void check_table(const toml::table& table, const std::string& prefix) const {
    for (const auto& [key, node] : table) {
      std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
      bool is_known = std::find(known_.begin(), known_.end(), path) != known_.end();
      if (is_known) continue;
      if (const toml::table* sub = node.as_table(); sub && has_known_prefix(path)) {
        check_table(*sub, path);
        continue;
      }
      auto line = key.source().begin.line;
      throw config_error{source_ + (line ? ":" + std::to_string(line) : "") + ": unknown key '" + path + "'"};
    }
  }
  bool has_known_prefix(const std::string& table) const {
    return std::any_of(known_.begin(), known_.end(),
                       [&](const std::string& k) { return k.starts_with(table + "."); });
  }

  const toml::table& root_;
  std::string source_;
  std::vector<std::string> known_;
};

listener_config read_listener(reader& r, std::string_view path, listener_config def) {
  // A port number, or false to disable the listener.
  if (const toml::node* n = r.node(path); n && n->is_boolean()) {
    if (*n->value_exact<bool>()) r.fail(*n, path, "must be a port number or false");
    def.enabled = false;
    return def;
  }
  def.port = static_cast<std::uint16_t>(r.integer(path, def.port, 0, 65535));
  return def;
}

// [[muc.rooms]]: rooms the configuration declares; every key is checked here, since the
// generic unknown-key check does not look into arrays of tables.
void read_muc_rooms(reader& r, config& c) {
  const toml::node* n = r.node("muc.rooms");
  if (!n) return;
  const toml::array* rooms = n->as_array();
  if (!rooms) r.fail(*n, "muc.rooms", "must be an array of tables ([[muc.rooms]])");
  for (const auto& item : *rooms) {
    const toml::table* t = item.as_table();
    if (!t) r.fail(item, "muc.rooms", "must be an array of tables ([[muc.rooms]])");
    muc::declared_room d;
    d.config.max_occupants = c.muc.default_occupants;
    d.config.history_length = c.muc.history_length;
    auto flag = [&](const toml::node& v, std::string_view key) {
      auto b = v.value_exact<bool>();
      if (!b) r.fail(v, "muc.rooms." + std::string(key), "must be true or false");
      return *b;
    };
    auto text = [&](const toml::node& v, std::string_view key) {
      auto s = v.value<std::string>();
      if (!s) r.fail(v, "muc.rooms." + std::string(key), "must be a string");
      return *s;
    };
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "name")
        d.name = text(v, key);
      else if (key == "title")
        d.config.name = text(v, key);
      else if (key == "description")
        d.config.description = text(v, key);
      else if (key == "public")
        d.config.public_room = flag(v, key);
      else if (key == "members_only")
        d.config.members_only = flag(v, key);
      else if (key == "moderated")
        d.config.moderated = flag(v, key);
      else if (key == "non_anonymous")
        d.config.non_anonymous = flag(v, key);
      else if (key == "password") {
        d.config.password = text(v, key);
        d.config.password_protected = !d.config.password.empty();
      } else if (key == "owners") {
        const toml::array* owners = v.as_array();
        if (!owners) r.fail(v, "muc.rooms.owners", "must be an array of JIDs");
        for (const auto& o : *owners) {
          auto j = core::jid::parse(o.value<std::string>().value_or(""));
          if (!j || j->node().empty()) r.fail(o, "muc.rooms.owners", "must be an array of user JIDs");
          d.owners.push_back(j->bare_str());
        }
      } else {
        r.fail(v, "muc.rooms." + std::string(key),
               "is not a room setting (name, title, description, public, "
               "members_only, moderated, non_anonymous, password, owners)");
      }
    }
    auto j = core::jid::from_parts(d.name, "example.org");
    if (d.name.empty() || !j || j->node() != d.name)
      r.fail(item, "muc.rooms.name", "must be a room name usable as a JID's local part");
    c.muc.rooms.push_back(std::move(d));
  }
}

void read_muc(reader& r, config& c) {
  auto& m = c.muc;
  m.enabled = r.get<bool>("muc.enabled").value_or(m.enabled);
  auto domain = r.get<std::string>("muc.domain");
  auto sub = r.get<std::string>("muc.subdomain");
  if (domain && sub)
    r.fail(*r.node("muc.subdomain"), "muc.subdomain", "and 'muc.domain' may not both be set");
  std::string chosen = domain ? *domain : (sub ? *sub : std::string("conference")) + "." + c.domains.front();
  auto j = core::jid::parse(chosen);
  if (!j || !j->is_domain() || std::find(c.domains.begin(), c.domains.end(), j->domain()) != c.domains.end())
    throw config_error{"'muc.domain': '" + chosen + "' must be a domain of its own, not a served one"};
  m.domain = j->domain();
  m.max_occupants = static_cast<std::size_t>(r.integer("muc.max_occupants", 10000, 1, 1'000'000));
  m.default_occupants = static_cast<std::size_t>(r.integer("muc.default_occupants",
                                                           std::min<std::int64_t>(1000, m.max_occupants), 1,
                                                           static_cast<std::int64_t>(m.max_occupants)));
  m.history_length = static_cast<std::size_t>(r.integer("muc.history_length", 20, 0, 1000));
  m.create_rooms = r.one_of("muc.create_rooms", m.create_rooms, {"anyone", "local", "admins"});
  if (auto admins = r.get<std::vector<std::string>>("muc.admins")) {
    for (const auto& a : *admins) {
      auto aj = core::jid::parse(a);
      if (!aj || aj->node().empty()) throw config_error{"'muc.admins': '" + a + "' is not a user's JID"};
      m.admins.push_back(aj->bare_str());
    }
  }
  read_muc_rooms(r, c);
}

config read(reader& r) {
  config c;
  if (auto domains = r.get<std::vector<std::string>>("server.domains")) {
    if (domains->empty()) throw config_error{"'server.domains' must name at least one domain"};
    c.domains.clear();
    for (const auto& d : *domains) {
      auto j = core::jid::parse(d);
      if (!j || !j->is_domain()) throw config_error{"'server.domains': '" + d + "' is not a valid domain"};
      c.domains.push_back(j->domain());
    }
  }
  if (auto dir = r.get<std::string>("server.data_dir")) c.data_dir = *dir;
  c.threads = static_cast<unsigned>(r.integer("server.threads", 0, 0, 256));
  c.scheduler_slice_us =
      static_cast<unsigned>(r.integer("server.scheduler_slice_us", c.scheduler_slice_us, 0, 100000));
  if (auto a = r.get<bool>("server.thread_affinity")) c.thread_affinity = *a;
  if (auto p = r.get<bool>("server.park_idle_threads")) c.park_idle_threads = *p;
  if (c.scheduler_slice_us != 0 && c.scheduler_slice_us < 100)
    throw config_error{"'server.scheduler_slice_us' must be 0 (the kernel's default) or 100 to 100000"};

  c.log_level =
      r.one_of("log.level", c.log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
  c.log_format = r.one_of("log.format", c.log_format, {"text", "json"});
  if (auto f = r.get<std::string>("log.file")) c.log_file = *f;

  if (auto url = r.get<std::string>("storage.url")) {
    if (!url->starts_with("sqlite:") && !url->starts_with("postgresql://") &&
        !url->starts_with("postgres://"))
      throw config_error{"'storage.url' must start with sqlite:, postgresql:// or postgres://"};
    c.storage_url = *url;
  }
  c.storage_pool_size = static_cast<unsigned>(r.integer("storage.pool_size", c.storage_pool_size, 1, 256));
  c.storage_connect_timeout = std::chrono::seconds(r.integer("storage.connect_timeout", 5, 1, 300));

  if (auto cert = r.get<std::string>("tls.certificate")) c.tls_certificate = *cert;
  if (auto key = r.get<std::string>("tls.private_key")) c.tls_private_key = *key;
  if (c.tls_certificate.empty() != c.tls_private_key.empty())
    throw config_error{"'tls.certificate' and 'tls.private_key' must be set together"};
  c.tls_expiry_warning_days = static_cast<int>(r.integer("tls.expiry_warning_days", 14, 0, 365));

  if (auto a = r.get<std::string>("listen.address")) c.listen_address = *a;
  c.http = read_listener(r, "listen.http", c.http);
  c.https = read_listener(r, "listen.https", c.https);
  c.c2s = read_listener(r, "listen.c2s", c.c2s);
  c.c2s_tls = read_listener(r, "listen.c2s_tls", c.c2s_tls);

  if (auto v = r.get<bool>("c2s.require_tls")) c.require_tls = *v;
  if (auto v = r.get<bool>("c2s.allow_plain_on_loopback")) c.allow_plain_on_loopback = *v;
  if (auto v = r.get<bool>("c2s.refuse_cb_downgrade")) c.refuse_cb_downgrade = *v;
  c.max_auth_failures =
      static_cast<unsigned>(r.integer("c2s.max_auth_failures", c.max_auth_failures, 1, 100));
  c.hibernate_after = std::chrono::seconds(r.integer("c2s.hibernate_after", 2, 1, 3600));
  if (auto v = r.get<bool>("c2s.stream_management")) c.stream_management = *v;
  c.resume_timeout = std::chrono::seconds(r.integer("c2s.resume_timeout", 300, 0, 86400));
  c.max_unacked = static_cast<std::size_t>(r.integer("c2s.max_unacked", 1000, 10, 1'000'000));
  c.ack_request_every = static_cast<std::size_t>(r.integer("c2s.ack_request_every", 5, 1, 1'000'000));
  c.ack_request_delay = std::chrono::seconds(r.integer("c2s.ack_request_delay", 5, 1, 3600));

  c.offline_quota = static_cast<std::size_t>(r.integer("im.offline_quota", 1000, 0, 1'000'000));
  c.multicast_max_recipients =
      static_cast<std::size_t>(r.integer("im.multicast_max_recipients", 50, 10, 10'000));
  if (auto v = r.get<bool>("im.registration")) c.registration = *v;
  c.registrations_per_ip_hour = static_cast<unsigned>(r.integer("im.registrations_per_ip_hour", 5, 1, 10000));
  c.max_queued_per_user =
      static_cast<std::size_t>(r.integer("im.max_queued_per_user", c.max_queued_per_user, 1, 1'000'000));
  c.max_queued_per_shard =
      static_cast<std::size_t>(r.integer("im.max_queued_per_shard", c.max_queued_per_shard, 1, 100'000'000));

  if (auto v = r.get<bool>("archive.enabled")) c.archive_enabled = *v;
  c.archive_retention_days = static_cast<unsigned>(r.integer("archive.retention_days", 0, 0, 100'000));
  c.archive_max_page = static_cast<std::size_t>(r.integer("archive.max_page", 100, 1, 10'000));
  if (auto v = r.get<std::string>("archive.default")) {
    if (*v != "always" && *v != "never" && *v != "roster")
      throw config_error{"'archive.default' must be always, never or roster"};
    c.archive_default = *v;
  }

  c.max_stanza_bytes =
      static_cast<std::size_t>(r.integer("limits.max_stanza_bytes", c.max_stanza_bytes, 4096, 64 << 20));
  c.max_connections =
      static_cast<unsigned>(r.integer("limits.max_connections", c.max_connections, 1, 10'000'000));
  c.login_timeout = std::chrono::seconds(r.integer("limits.login_timeout", 30, 1, 3600));
  c.idle_timeout = std::chrono::seconds(r.integer("limits.idle_timeout", 300, 10, 86400));
  c.shutdown_timeout = std::chrono::seconds(r.integer("limits.shutdown_timeout", 3, 0, 60));
  c.max_http_header_bytes = static_cast<std::size_t>(
      r.integer("limits.max_http_header_bytes", c.max_http_header_bytes, 1024, 1 << 20));
  c.max_http_body_bytes = static_cast<std::size_t>(
      r.integer("limits.max_http_body_bytes", c.max_http_body_bytes, 1024, 64 << 20));
  c.http_request_timeout = std::chrono::seconds(r.integer("limits.http_request_timeout", 30, 1, 3600));
  c.http_idle_timeout = std::chrono::seconds(r.integer("limits.http_idle_timeout", 60, 1, 3600));
  c.kdf_workers = static_cast<unsigned>(r.integer("limits.kdf_workers", 0, 0, 256));
  c.kdf_queue = static_cast<std::size_t>(r.integer("limits.kdf_queue", 256, 0, 100'000));

  c.scram_iterations = static_cast<std::uint32_t>(r.integer("auth.scram_iterations", 4096, 4096, 1'000'000));
  if (auto origins = r.get<std::vector<std::string>>("websocket.allowed_origins"))
    c.websocket_allowed_origins = std::move(*origins);
  if (auto uri = r.get<std::string>("websocket.see_other_uri")) {
    if (!uri->empty() && !uri->starts_with("ws://") && !uri->starts_with("wss://"))
      r.fail(*r.node("websocket.see_other_uri"), "websocket.see_other_uri", "must be a ws:// or wss:// URL");
    c.websocket_see_other_uri = std::move(*uri);
  }
  c.websocket_allow_plain_http_logins =
      r.get<bool>("websocket.allow_plain_http_logins").value_or(c.websocket_allow_plain_http_logins);
  if (auto socket = r.get<std::string>("control.socket")) c.control_socket = *socket;

  if (const toml::node* n = r.node("http.web_root"); n && n->is_boolean()) {
    if (*n->value_exact<bool>()) r.fail(*n, "http.web_root", "must be a directory or false");
    c.serve_web_root = false;
  } else if (auto root = r.get<std::string>("http.web_root")) {
    if (root->empty()) r.fail(*r.node("http.web_root"), "http.web_root", "must be a directory or false");
    c.web_root = *root;
  }
  c.web_cache_max_age = std::chrono::seconds(r.integer("http.cache_max_age", 0, 0, 365 * 86400));
  if (auto url = r.get<std::string>("http.public_url")) {
    while (url->ends_with('/')) url->pop_back();
    if (!url->empty() && !http::valid_public_url(*url))
      r.fail(*r.node("http.public_url"), "http.public_url",
             "must be an http:// or https:// URL: host, optional port and path, no query");
    c.public_url = std::move(*url);
  }
  c.bosh_max_wait = std::chrono::seconds(r.integer("bosh.max_wait", 60, 1, 3600));
  c.bosh_max_hold = static_cast<unsigned>(r.integer("bosh.max_hold", c.bosh_max_hold, 0, 16));
  c.bosh_max_requests = static_cast<unsigned>(r.integer("bosh.max_requests", c.bosh_max_requests, 1, 17));
  c.bosh_max_inactivity = std::chrono::seconds(r.integer("bosh.max_inactivity", 60, 5, 3600));
  c.bosh_max_pause = std::chrono::seconds(r.integer("bosh.max_pause", 120, 0, 86400));
  c.bosh_polling = std::chrono::seconds(r.integer("bosh.polling", 2, 0, 3600));
  c.bosh_max_buffered_bytes = static_cast<std::size_t>(
      r.integer("bosh.max_buffered_bytes", c.bosh_max_buffered_bytes, 64 * 1024, 1 << 30));
  if (auto origins = r.get<std::vector<std::string>>("bosh.allowed_origins"))
    c.bosh_allowed_origins = std::move(*origins);
  c.bosh_allow_plain_http_logins =
      r.get<bool>("bosh.allow_plain_http_logins").value_or(c.bosh_allow_plain_http_logins);
  if (auto v = r.get<bool>("widget.tokens")) c.widget_tokens = *v;
  c.widget_token_lifetime =
      std::chrono::seconds(r.integer("widget.token_lifetime", 8 * 3600, 60, 30 * 86400));
  if (auto domain = r.get<std::string>("anonymous.domain")) {
    if (!domain->empty() && std::find(c.domains.begin(), c.domains.end(), *domain) == c.domains.end())
      r.fail(*r.node("anonymous.domain"), "anonymous.domain", "must be one of [server] domains");
    c.anonymous_domain = std::move(*domain);
  }
  c.anonymous_logins_per_ip_minute =
      static_cast<unsigned>(r.integer("anonymous.logins_per_ip_minute", 10, 0, 100'000));
  c.xcap_enabled = r.get<bool>("xcap.enabled").value_or(c.xcap_enabled);
  if (auto name = r.get<std::string>("xcap.roster_document")) {
    if (name->empty() || name->find_first_of("/%~") != std::string::npos)
      throw config_error{"xcap.roster_document: a document name without '/', '%' or '~'"};
    c.xcap_roster_document = std::move(*name);
  }
  c.xcap_max_document_bytes = static_cast<std::size_t>(r.integer(
      "xcap.max_document_bytes", static_cast<std::int64_t>(c.xcap_max_document_bytes), 1024, 16 << 20));
  c.xcap_allow_plain_http_logins =
      r.get<bool>("xcap.allow_plain_http_logins").value_or(c.xcap_allow_plain_http_logins);
  c.sis_enabled = r.get<bool>("sis.enabled").value_or(c.sis_enabled);
  c.sis_max_age = std::chrono::seconds(r.integer("sis.max_age", c.sis_max_age.count(), 0, 86400));
  c.sis_cache_bytes = static_cast<std::size_t>(
      r.integer("sis.cache_bytes", static_cast<std::int64_t>(c.sis_cache_bytes), 64 * 1024, 1 << 30));
  c.sis_public_by_default = r.get<bool>("sis.public_by_default").value_or(c.sis_public_by_default);
  if (auto file = r.get<std::string>("sis.token_key_file")) c.sis_token_key_file = *file;
  c.sis_token_lifetime =
      std::chrono::seconds(r.integer("sis.token_lifetime", c.sis_token_lifetime.count(), 60, 365 * 86400));
  c.sis_rules_refresh =
      std::chrono::seconds(r.integer("sis.rules_refresh", c.sis_rules_refresh.count(), 0, 3600));
  read_muc(r, c);
  r.reject_unknown();
  return c;
}

// Every value the file sets, by dotted key, as TOML text: what a reload compares.
void flatten(const toml::table& table, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [key, node] : table) {
    std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const toml::table* sub = node.as_table()) {
      flatten(*sub, path, out);
      continue;
    }
    std::ostringstream text;
    node.visit([&](const auto& v) { text << v; });
    out[path] = text.str();
  }
}

}  // namespace

std::string config::effective_storage_url() const {
  return storage_url.empty() ? "sqlite:" + (data_dir / "ofs.db").string() : storage_url;
}

std::filesystem::path config::effective_control_socket() const {
  return control_socket.empty() || control_socket.is_absolute() ? control_socket : data_dir / control_socket;
}

std::filesystem::path config::effective_sis_token_key_file() const {
  if (sis_token_key_file.empty()) return data_dir / "sis-token.key";
  return sis_token_key_file.is_absolute() ? sis_token_key_file : data_dir / sis_token_key_file;
}

config_result parse_config(std::string_view toml_text, const std::string& source_name) {
  try {
    toml::table root = toml::parse(toml_text, source_name);
    reader r(root, source_name);
    config c = read(r);
    c.source = source_name;
    flatten(root, "", c.file_values);
    return {std::move(c), {}};
  } catch (const toml::parse_error& e) {
    return {std::nullopt,
            source_name + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description())};
  } catch (const config_error& e) {
    std::string msg = e.message;
    if (!msg.starts_with(source_name)) msg = source_name + ": " + msg;
    return {std::nullopt, msg};
  }
}

config_result load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {std::nullopt, "cannot read configuration file " + file.string()};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

std::filesystem::path system_config_path() { return OFS_SYSTEM_CONFIG; }

std::string config_search_order() {
  return "configuration file (default: $OFS_CONFIG, else ./ofs.toml, else " + system_config_path().string() +
         ", else built-in defaults)";
}

std::filesystem::path find_web_root() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto dir = exe.parent_path();
  for (const auto& candidate :
       {dir.parent_path() / "share" / "ofs" / "web", dir.parent_path().parent_path() / "web"})
    if (std::filesystem::is_regular_file(candidate / "index.html", ec)) return candidate;
  return {};
}

std::optional<std::filesystem::path> default_config_path() {
  if (const char* env = std::getenv("OFS_CONFIG"); env && *env) return std::filesystem::path(env);
  if (std::filesystem::exists("ofs.toml")) return std::filesystem::path("ofs.toml");
  if (std::filesystem::exists(system_config_path())) return system_config_path();
  return std::nullopt;
}

}  // namespace ofs::app
