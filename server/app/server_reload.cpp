// Reload (SIGHUP, ofsctl reload) and the certificate expiry check of the running server.
#include "server/app/server_impl.hpp"

namespace ofs::app {

http::listener_options http_options_of(const config& c) {
  http::listener_options o;
  o.max_connections = c.max_connections;
  o.max_header_bytes = c.max_http_header_bytes;
  o.max_body_bytes = c.max_http_body_bytes;
  o.request_timeout = c.http_request_timeout;
  o.idle_timeout = c.http_idle_timeout;
  return o;
}

void set_stream_limits(const config& c, xmpp::tcp_transport_options& o) {
  o.login_timeout = c.login_timeout;
  o.idle_timeout = c.idle_timeout;
  o.limits.max_stanza_bytes = c.max_stanza_bytes;
}

// Everything that can fail comes first (the file, the certificates, the log file); only
// then are the new settings swapped in, so a refused reload changes nothing.
reload_report server::impl::reload() {
  std::lock_guard lock(reload_mutex);
  reload_report report;
  report.source = cfg.source.string();
  config loaded = cfg;  // no file: the built-in defaults stay; certificates are re-read
  if (!cfg.source.empty()) {
    auto read = load_config(cfg.source);
    if (!read.value)
      report.error = read.error;
    else
      loaded = std::move(*read.value);
  }
  std::optional<config> next;
  std::optional<tls_identity> identity;
  std::vector<domain_identity> domains;
  std::shared_ptr<tls_contexts> contexts;
  if (report.error.empty()) {
    next = cfg;
    take_reloadable(*next, loaded);
    auto tls_read = load_or_generate_identity(*next);
    std::vector<std::string> errors;
    if (tls_read.identity) domains = load_domain_identities(*next, errors);
    if (!tls_read.identity)
      report.error = tls_read.error;
    else if (!errors.empty())
      report.error = errors.front();
    else
      identity = std::move(tls_read.identity);
  }
  if (report.error.empty()) {
    try {
      contexts = std::make_shared<tls_contexts>(*identity, domains);
    } catch (const std::exception& e) {  // a PEM that OpenSSL refuses
      report.error = std::string("TLS certificate: ") + e.what();
    }
  }
  // The last step that can fail; it reopens the log file too (after a rotation).
  if (report.error.empty())
    if (auto err = reconfigure_logging(*next); !err.empty()) report.error = err;
  if (!report.error.empty()) {
    spdlog::error("{}", report.summary());
    return report;
  }
  classify_changes(cfg, loaded, report);
  tls = std::move(identity);
  domain_ids = std::move(domains);
  tls_context = std::move(contexts);
  apply_reload(loaded);
  report.certificates.push_back(tls->certificate_file.string());
  for (const auto& d : domain_ids) report.certificates.push_back(d.domain);
  report.warnings = expiry_warnings(*tls, domain_ids, cfg.tls_expiry_warning_days);
  spdlog::info("{}", report.summary());
  for (const auto& w : report.warnings) spdlog::warn("{}", w);
  return report;
}

// Every listener takes a new settings snapshot for the connections it accepts from now on;
// open connections keep the settings and TLS context they started with.
void server::impl::apply_reload(const config& loaded) {
  take_reloadable(cfg, loaded);
  set_stream_limits(cfg, c2s_options);
  set_stream_limits(cfg, c2s_tls_options);
  c2s_options.tls = c2s_tls_options.tls = default_tls();
  for (auto& l : c2s)
    l->update(l->port().name() == "c2s_tls" ? c2s_tls_options : c2s_options, cfg.max_connections);
  for (auto& l : http) {
    auto o = http_options_of(cfg);
    if (l->port().name() == "https") o.tls = default_tls();
    l->update(std::move(o));
  }
  if (visitor_logins) visitor_logins->set_limit(cfg.anonymous_logins_per_ip_minute);
}

void server::impl::wait_for_hangup() {
  hangup.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;  // shutting down
    spdlog::info("received SIGHUP: reloading");
    notify_reloading();
    reload();
    std::string status;
    {
      std::lock_guard lock(reload_mutex);
      status = "serving " + cfg.domains.front();
    }
    notify_ready(status);
    wait_for_hangup();
  });
}

void server::impl::check_expiry() {
  for (const auto& w : expiry_warnings(*tls, domain_ids, cfg.tls_expiry_warning_days)) spdlog::warn("{}", w);
}

void server::impl::schedule_expiry_check() {
  expiry_timer.expires_after(std::chrono::hours(24));
  expiry_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // shutting down
    {
      std::lock_guard lock(reload_mutex);
      check_expiry();
    }
    schedule_expiry_check();
  });
}

}  // namespace ofs::app
