#include "server/app/server.hpp"

#include "server/app/server_impl.hpp"

namespace ofs::app {

namespace {

std::string describe(const tcp::endpoint& e) {
  return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + std::to_string(e.port())
                             : e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

// The data directory must exist and take writes (the SQLite file, the certificate).
std::string prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create data directory " + dir.string() + ": " + ec.message();
  auto probe = dir / ".write-test";
  {
    std::ofstream out(probe);
    if (!out || !(out << "ok") || !out.flush()) return "data directory " + dir.string() + " is not writable";
  }
  std::filesystem::remove(probe, ec);
  return {};
}

void server::impl::mount_routes() {
  stats.add_gauge("ofs_sessions", "Bound client sessions",
                  [this] { return static_cast<double>(router->sessions().size()); });
  stats.add_gauge("ofs_http_connections", "Open HTTP and HTTPS connections", [this] {
    double n = 0;
    for (const auto& l : http) n += static_cast<double>(l->port().connections());
    return n;
  });
  stats.add_gauge("ofs_resumable_sessions",
                  "Client sessions that can be resumed (XEP-0198), connected or not",
                  [this] { return resumptions ? static_cast<double>(resumptions->size()) : 0.0; });
  stats.add_gauge("ofs_uptime_seconds", "Seconds since start", [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  });
  stats.add_gauge("ofs_io_threads_working", "I/O threads not parked (the others wait while the load is low)",
                  [this] { return static_cast<double>(pool.working()); });
  stats.add_gauge("ofs_kdf_pending", "Password key derivations queued or running",
                  [this] { return static_cast<double>(im->kdf().pending()); });
  stats.add_gauge("ofs_kdf_refused", "Password key derivations refused since start: queue full",
                  [this] { return static_cast<double>(im->kdf().refused()); });
  stats.add_gauge("ofs_archive_writes", "Messages written to archives since start",
                  [this] { return static_cast<double>(im->archive_stats().written.load()); });
  stats.add_gauge("ofs_archive_failures",
                  "Messages delivered but not archived since start (store failure, full queue)",
                  [this] { return static_cast<double>(im->archive_stats().failed.load()); });
  stats.add_gauge("ofs_resident_memory_bytes", "Resident memory of the server process",
                  [] { return resident_memory_bytes(); });
  routes.add("/metrics", [this](http::request req, http::request_context) -> asio::awaitable<http::response> {
    co_return http::make_response(req, boost::beast::http::status::ok, stats.scrape(),
                                  "text/plain; version=0.0.4; charset=utf-8");
  });
  routes.add("/health", [this](http::request req, http::request_context) -> asio::awaitable<http::response> {
    auto ok = co_await db->ping();
    co_return ok
        ? http::make_response(req, boost::beast::http::status::ok, "ok")
        : http::make_response(req, boost::beast::http::status::service_unavailable, "storage unavailable");
  });
}

void server::impl::mount_websocket() {
  ws::options o;
  o.allowed_origins = cfg.websocket_allowed_origins;
  o.see_other_uri = cfg.websocket_see_other_uri;
  o.allow_plain_http_logins = cfg.websocket_allow_plain_http_logins;
  websocket = std::make_unique<ws::endpoint>(*im, c2s_options, std::move(o));
  const ws::endpoint* endpoint = websocket.get();
  routes.add("/xmpp-websocket",
             [endpoint](http::request req, http::request_context) -> asio::awaitable<http::response> {
               co_return endpoint->plain_request(req);
             });
  routes.add_upgrade("/xmpp-websocket", [endpoint](http::request req, http::upgrade_stream s,
                                                   std::shared_ptr<http::shutdown_hook> on_shutdown) {
    return std::visit(
        [&](auto* stream) { return endpoint->serve(std::move(req), stream, std::move(on_shutdown)); }, s);
  });
}

std::string server::impl::open_control() {
  const auto path = cfg.effective_control_socket();
  if (path.empty()) return {};
  auto reload_command = [this] { return reload().to_json(); };
  control_ctx.emplace(control_context{*router, *db, started, tokens.get(), muc.get(), reload_command});
  control = std::make_unique<control_socket>(io.get_executor(), [this](boost::json::object request) {
    return run_control_command(*control_ctx, std::move(request));
  });
  if (auto err = control->open(path); !err.empty()) return err;
  control->start();
  return {};
}

// The web root at "/" (every route mounted elsewhere has a longer prefix and wins) and the
// XEP-0156 documents. A configured root must be there; the default one may be missing.
std::string server::impl::mount_web() {
  http::host_meta_options hm;
  hm.public_url = cfg.public_url;
  hm.allow_plain_http_logins = cfg.websocket_allow_plain_http_logins;
  discovery = std::make_unique<http::host_meta>(std::move(hm));
  const http::host_meta* d = discovery.get();
  routes.add("/.well-known/host-meta",
             [d](http::request req, http::request_context info) -> asio::awaitable<http::response> {
               co_return d->serve(req, info, false);
             });
  routes.add("/.well-known/host-meta.json",
             [d](http::request req, http::request_context info) -> asio::awaitable<http::response> {
               co_return d->serve(req, info, true);
             });
  if (!cfg.serve_web_root) return {};
  auto root = cfg.web_root.empty() ? find_web_root() : cfg.web_root;
  if (root.empty()) {
    spdlog::warn(
        "no web root found (share/ofs/web beside ofsd, or web/ in its source tree): "
        "\"/\" serves nothing; set [http] web_root");
    return {};
  }
  http::static_options o;
  o.root = root;
  o.max_age = cfg.web_cache_max_age;
  std::string error;
  web = http::static_files::open(std::move(o), error);
  if (!web) return error;
  web_note = "serving web files from " + root.string();
  const http::static_files* files = web.get();
  routes.add("/", [files](http::request req, http::request_context) -> asio::awaitable<http::response> {
    co_return files->serve(req);
  });
  return {};
}

void server::impl::mount_bosh() {
  bosh::options o;
  o.max_wait = cfg.bosh_max_wait;
  o.max_hold = cfg.bosh_max_hold;
  o.max_requests = cfg.bosh_max_requests;
  o.max_inactivity = cfg.bosh_max_inactivity;
  o.max_pause = cfg.bosh_max_pause;
  o.polling = cfg.bosh_polling;
  o.max_buffered_bytes = cfg.bosh_max_buffered_bytes;
  o.allowed_origins = cfg.bosh_allowed_origins.value_or(cfg.websocket_allowed_origins);
  o.allow_plain_http_logins = cfg.bosh_allow_plain_http_logins;
  bosh = std::make_unique<bosh::endpoint>(io.get_executor(), *im, c2s_options, std::move(o),
                                          cfg.max_http_body_bytes, cfg.max_connections);
  stats.add_gauge("ofs_bosh_sessions", "Open BOSH sessions",
                  [this] { return static_cast<double>(bosh->sessions()); });
  bosh::endpoint* endpoint = bosh.get();
  routes.add("/http-bind", [endpoint](http::request req, http::request_context ctx) {
    return endpoint->handle(std::move(req), std::move(ctx));
  });
}

std::string server::impl::mount_xcap() {
  if (!cfg.xcap_enabled) return {};
  xcap::options o;
  o.roster_documents = {cfg.xcap_roster_document};
  if (cfg.xcap_roster_document != "oma_buddylist") o.roster_documents.push_back("oma_buddylist");
  o.max_document_bytes = cfg.xcap_max_document_bytes;
  o.allow_plain_http_logins = cfg.xcap_allow_plain_http_logins;
  o.domains = cfg.domains;
  xcap = std::make_unique<xcap::endpoint>(*im, std::move(o));
  if (auto err = xcap->start_error(); !err.empty()) return "xcap: " + err;
  xcap::endpoint* endpoint = xcap.get();
  routes.add("/xcap-root", [endpoint](http::request req, http::request_context ctx) {
    return endpoint->handle(std::move(req), std::move(ctx));
  });
  return {};
}

std::string server::impl::mount_sis() {
  if (!cfg.sis_enabled) return {};
  std::string error;
  auto key = http::status::token_key::load_or_create(cfg.effective_sis_token_key_file(), error);
  if (!key) return "sis: " + error;
  http::status::sis_options o;
  o.max_age = cfg.sis_max_age;
  o.cache_bytes = cfg.sis_cache_bytes;
  o.public_by_default = cfg.sis_public_by_default;
  o.facts_ttl = cfg.sis_rules_refresh;
  o.domains = cfg.domains;
  o.public_url = cfg.public_url;
  sis = std::make_unique<http::status::endpoint>(router->sessions(), *db, std::move(*key), std::move(o));
  http::status::endpoint* endpoint = sis.get();
  core::observe_presence(router->sessions(),
                         [endpoint](const core::jid& bare) { endpoint->presence_changed(bare); });
  routes.add("/sis", [endpoint](http::request req, http::request_context ctx) {
    return endpoint->handle(std::move(req), std::move(ctx));
  });
  routes.add_stream(
      "/sis", http::status::endpoint::is_events,
      [endpoint](http::request req, http::upgrade_stream s, std::shared_ptr<http::shutdown_hook> hook) {
        return endpoint->events(std::move(req), s, std::move(hook));
      });
  stats.add_gauge("ofs_sis_images_drawn", "Status images drawn since start (not served from the cache)",
                  [endpoint] { return static_cast<double>(endpoint->images().draws()); });
  stats.add_gauge("ofs_sis_event_streams", "Open status event streams",
                  [endpoint] { return static_cast<double>(endpoint->watchers_for_events().size()); });
  return {};
}

std::string server::impl::start_c2s(const asio::ip::address& address) {
  xmpp::tcp_transport_options base;
  set_stream_limits(cfg, base);
  base.tls = default_tls();
  // One worker per core; a storm past the queue is handshaken on the I/O threads.
  tls_workers = std::make_unique<auth::kdf_pool>(0, 4096);
  base.handshakes = tls_workers.get();
  base.c2s.domains = cfg.domains;
  base.c2s.require_tls = cfg.require_tls;
  base.c2s.allow_plain_on_loopback = cfg.allow_plain_on_loopback;
  base.c2s.max_auth_failures = cfg.max_auth_failures;
  base.c2s.refuse_cb_downgrade = cfg.refuse_cb_downgrade;
  base.hibernate_after = cfg.hibernate_after;
  resumptions = std::make_unique<xmpp::resumption_table>();
  base.c2s.sm.enabled = cfg.stream_management;
  base.c2s.sm.resume_timeout = cfg.resume_timeout;
  base.c2s.sm.max_unacked = cfg.max_unacked;
  base.c2s.sm.ack_request_every = cfg.ack_request_every;
  base.c2s.sm.ack_request_delay = cfg.ack_request_delay;
  base.c2s.sm.resumptions = resumptions.get();
  if (cfg.widget_tokens) tokens = std::make_unique<login::widget_tokens>(cfg.widget_token_lifetime);
  base.c2s.tokens = tokens.get();
  base.c2s.anonymous_domain = cfg.anonymous_domain;
  visitor_logins =
      std::make_unique<login::rate_limiter>(cfg.anonymous_logins_per_ip_minute, std::chrono::minutes(1));
  base.c2s.anonymous_logins = visitor_logins.get();
  c2s_options = base;
  c2s_tls_options = base;
  c2s_tls_options.direct_tls = true;
  for (auto [name, listen, options] :
       {std::tuple{"c2s", cfg.c2s, &c2s_options}, std::tuple{"c2s_tls", cfg.c2s_tls, &c2s_tls_options}}) {
    if (!listen.enabled) continue;
    c2s.push_back(
        std::make_unique<xmpp::c2s_listener>(io.get_executor(), name, *im, *options, cfg.max_connections));
    if (auto err = open_port(c2s.back()->port(), tcp::endpoint(address, listen.port)); !err.empty())
      return err;
  }
  return {};
}

std::string server::impl::open_port(core::tcp_listener& port, const tcp::endpoint& at) {
  if (auto err = port.listen(at))
    return "cannot listen on " + describe(at) + " for " + port.name() + ": " + err.message();
  ports.push_back({port.name(), port.local_endpoint()});
  listeners.push_back(&port);
  port.set_placement([this] { return pool.next(); });  // each connection on one I/O thread
  port.start();
  return {};
}

// Total, then terminal: every connection is asked to end in its protocol (a <system-shutdown/>
// stream error, flushed); past the first half of the time left, what remains is closed.
void server::impl::close_connections(std::chrono::steady_clock::time_point deadline) {
  // BOSH sessions first: their held requests are answered before the connections close.
  if (bosh) bosh->shut_down(core::connection_tracker::close_mode::graceful);
  for (auto* l : listeners) l->close_connections(core::connection_tracker::close_mode::graceful);
  const auto now = std::chrono::steady_clock::now();
  const auto graceful_until = now + (deadline - now) / 2;
  bool all_closed = true;
  for (auto* l : listeners) all_closed = l->wait_closed(graceful_until) && all_closed;
  if (bosh) {  // sessions no request came for: ended, their stanzas routed before the IM layer closes
    bosh->shut_down(core::connection_tracker::close_mode::now);
    while (bosh->sessions() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (all_closed) return;
  for (auto* l : listeners) l->close_connections(core::connection_tracker::close_mode::now);
  for (auto* l : listeners)
    if (!l->wait_closed(deadline))
      spdlog::warn("{}: {} connections still open at shutdown", l->name(), l->connections());
}

// In order, within cfg.shutdown_timeout: stop accepting, close the sessions (their stanzas
// still being routed), drain the IM work they queued, let the store finish what it was
// asked, then stop the threads and destroy, front-ends first. Every step has its share of
// the time; IM work still queued past its share is logged with its count.
void server::impl::shutdown() {
  if (serving) {
    spdlog::info("shutting down");
    notify_stopping();
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (auto* l : listeners) l->stop_accepting();
  if (control) control->close();
  if (im) im->kdf().stop();  // logins waiting for a key derivation are refused, not left hanging
  if (tls_workers) tls_workers->stop();
  close_connections(start + cfg.shutdown_timeout * 5 / 10);
  // Sessions waiting for resumption end: what they hold goes to offline storage, below.
  if (resumptions) resumptions->close();
  if (im) {  // what the sessions left queued: offline messages to store, their unbind work
    im->close();
    im->drain(start + cfg.shutdown_timeout * 75 / 100);
  }
  if (muc) muc->drain(start + cfg.shutdown_timeout * 80 / 100);  // rooms' configuration and history
  if (db) db->close(start + cfg.shutdown_timeout * 85 / 100);    // the rest: failing what is left
  signals.cancel();
  hangup.cancel();
  expiry_timer.cancel();
  pool.stop();
  pool.join();
  listeners.clear();
  c2s.clear();
  tls_workers.reset();  // its users, the connections, are gone
  http.clear();
  websocket.reset();
  web.reset();
  discovery.reset();
  bosh.reset();
  xcap.reset();
  if (sis) core::observe_presence(router->sessions(), nullptr);  // the threads are joined: no caller left
  sis.reset();
  resumptions.reset();
  muc.reset();
  im.reset();
  db.reset();
  if (serving) spdlog::info("stopped");
  serving = false;
  spdlog::default_logger()->flush();
}

server::server(config c) : impl_(std::make_unique<impl>(std::move(c))) {}

server::~server() {
  if (impl_->pool.running()) impl_->shutdown();
}

std::string server::start() {
  auto& s = *impl_;
  if (auto err = prepare_data_dir(s.cfg.data_dir); !err.empty()) return err;
  auto tls = load_or_generate_identity(s.cfg);
  if (!tls.identity) return tls.error;
  s.tls = std::move(tls.identity);

  s.pool.start();
  storage::store_options options{s.cfg.effective_storage_url(), s.cfg.storage_pool_size,
                                 s.cfg.storage_connect_timeout};
  auto opened = asio::co_spawn(s.io, storage::open_store(options), asio::use_future).get();
  if (!opened.db) return opened.error;
  s.db = std::move(opened.db);
  s.router = std::make_unique<core::router>(s.cfg.domains);
  im::im_config im_cfg;
  im_cfg.offline_quota = s.cfg.offline_quota;
  im_cfg.multicast_max_recipients = s.cfg.multicast_max_recipients;
  im_cfg.registration = s.cfg.registration;
  im_cfg.registrations_per_ip_hour = s.cfg.registrations_per_ip_hour;
  im_cfg.scram_iterations = s.cfg.scram_iterations;
  im_cfg.kdf_workers = s.cfg.kdf_workers;
  im_cfg.kdf_queue = s.cfg.kdf_queue;
  im_cfg.server_version = OFS_VERSION;
  im_cfg.shards.max_queued_per_user = s.cfg.max_queued_per_user;
  im_cfg.shards.max_queued_per_shard = s.cfg.max_queued_per_shard;
  im_cfg.shard_executors = s.pool.executors();
  im_cfg.archive.enabled = s.cfg.archive_enabled;
  im_cfg.archive.retention_days = s.cfg.archive_retention_days;
  im_cfg.archive.max_page = s.cfg.archive_max_page;
  im_cfg.archive.default_mode = s.cfg.archive_default;
  s.im = std::make_unique<im::service>(*s.router, *s.db, s.io.get_executor(), im_cfg);
  s.im->install();
  if (s.cfg.muc.enabled) {
    s.muc = std::make_unique<muc::service>(*s.router, *s.im, *s.db, s.io.get_executor(), s.cfg.muc);
    auto err = asio::co_spawn(s.io, s.muc->start(), asio::use_future).get();
    if (!err.empty()) return err;
  }
  std::vector<std::string> cert_errors;
  s.domain_ids = load_domain_identities(s.cfg, cert_errors);
  if (!cert_errors.empty()) return cert_errors.front();
  s.tls_context = std::make_shared<tls_contexts>(*s.tls, s.domain_ids);
  s.check_expiry();
  s.mount_routes();
  if (auto err = s.mount_web(); !err.empty()) return err;

  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.cfg.listen_address, ec);
  if (ec) return "listen.address '" + s.cfg.listen_address + "' is not an IP address";
  if (auto err = s.start_c2s(address); !err.empty()) return err;
  s.mount_websocket();
  s.mount_bosh();
  if (auto err = s.mount_xcap(); !err.empty()) return err;
  if (auto err = s.mount_sis(); !err.empty()) return err;
  const http::listener_options http_options = http_options_of(s.cfg);
  for (auto [name, listen, tls] :
       {std::tuple{"http", s.cfg.http, false}, std::tuple{"https", s.cfg.https, true}}) {
    if (!listen.enabled) continue;
    auto opts = http_options;
    if (tls) opts.tls = s.default_tls();
    s.http.push_back(std::make_unique<http::listener>(s.io.get_executor(), name, s.routes, opts));
    if (auto err = s.open_port(s.http.back()->port(), tcp::endpoint(address, listen.port)); !err.empty())
      return err;
  }
  std::uint16_t http_port = 0, https_port = 0;
  for (const auto& p : s.ports) {
    if (p.name == "http") http_port = p.at.port();
    if (p.name == "https") https_port = p.at.port();
  }
  s.discovery->set_ports(http_port, https_port);

  if (auto err = s.open_control(); !err.empty()) return err;

  s.signals.add(SIGINT);
  s.signals.add(SIGTERM);
  s.signals.async_wait([](const boost::system::error_code& e, int signo) {
    if (e) return;
    spdlog::info("received signal {}", signo);
  });
  s.wait_for_hangup();
  s.schedule_expiry_check();
  for (const auto& p : s.ports) spdlog::info("listening for {} on {}", p.name, describe(p.at));
  if (s.web && !s.http.empty()) spdlog::info("{}", s.web_note);
  if (!s.web && s.cfg.serve_web_root && !s.http.empty()) spdlog::warn("{}", s.web_note);
  s.serving = true;
  return {};
}

std::vector<bound_port> server::ports() const { return impl_->ports; }

void server::run() {
  impl_->stop_io.run();  // returns once the signal handler has run, or at stop()
  impl_->shutdown();
}

void server::stop() { impl_->stop_io.stop(); }

core::router& server::router() { return *impl_->router; }
storage::store& server::store() { return *impl_->db; }

}  // namespace ofs::app
