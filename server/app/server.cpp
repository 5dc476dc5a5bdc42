#include "server/app/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <fstream>
#include <thread>

#include "http/listener.hpp"
#include "server/app/certificate.hpp"
#include "server/app/metrics.hpp"
#include "server/auth/kdf_pool.hpp"
#include "server/core/router.hpp"
#include "server/im/service.hpp"
#include "server/storage/open_store.hpp"
#include "server/xmpp/c2s_listener.hpp"

namespace ofs::app {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

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

struct server::impl {
  explicit impl(config c)
      : cfg(std::move(c)),
        threads_wanted(cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency())),
        io(static_cast<int>(threads_wanted)),
        work(asio::make_work_guard(io)),
        signals(io) {}

  config cfg;
  unsigned threads_wanted;
  asio::io_context io;  // declared first among the asio objects: destroyed last
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  asio::signal_set signals;
  std::unique_ptr<storage::store> db;
  std::unique_ptr<core::router> router;
  std::optional<tls_identity> tls;
  std::optional<asio::ssl::context> tls_context;
  std::unique_ptr<im::service> im;
  xmpp::tcp_session_options c2s_options, c2s_tls_options;
  std::vector<std::unique_ptr<xmpp::c2s_listener>> c2s;
  http::route_table routes;
  std::unique_ptr<http::listener> http;
  metrics stats;
  std::vector<bound_port> ports;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;
  bool serving = false;  // start() succeeded

  void start_threads() {
    for (unsigned i = 0; i < threads_wanted; ++i) threads.emplace_back([this] { io.run(); });
  }
  void mount_routes();
  std::string start_c2s(const asio::ip::address& address);
  std::size_t open_connections() const;
  void shutdown();
};

void server::impl::mount_routes() {
  stats.add_gauge("ofs_sessions", "Bound client sessions",
                  [this] { return static_cast<double>(router->sessions().size()); });
  stats.add_gauge("ofs_http_connections", "Open HTTP connections",
                  [this] { return http ? static_cast<double>(http->connections()) : 0.0; });
  stats.add_gauge("ofs_uptime_seconds", "Seconds since start", [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  });
  stats.add_gauge("ofs_kdf_pending", "Password key derivations queued or running",
                  [this] { return static_cast<double>(im->kdf().pending()); });
  stats.add_gauge("ofs_kdf_refused", "Password key derivations refused since start: queue full",
                  [this] { return static_cast<double>(im->kdf().refused()); });
  stats.add_gauge("ofs_resident_memory_bytes", "Resident memory of the server process",
                  [] { return resident_memory_bytes(); });
  routes.add("/metrics", [this](http::request req) -> asio::awaitable<http::response> {
    co_return http::make_response(req, boost::beast::http::status::ok, stats.scrape(),
                                  "text/plain; version=0.0.4; charset=utf-8");
  });
  routes.add("/health", [this](http::request req) -> asio::awaitable<http::response> {
    auto ok = co_await db->ping();
    co_return ok
        ? http::make_response(req, boost::beast::http::status::ok, "ok")
        : http::make_response(req, boost::beast::http::status::service_unavailable, "storage unavailable");
  });
}

std::string server::impl::start_c2s(const asio::ip::address& address) {
  xmpp::tcp_session_options base;
  base.login_timeout = cfg.login_timeout;
  base.idle_timeout = cfg.idle_timeout;
  base.limits.max_stanza_bytes = cfg.max_stanza_bytes;
  base.c2s.domains = cfg.domains;
  base.c2s.require_tls = cfg.require_tls;
  base.c2s.allow_plain_on_loopback = cfg.allow_plain_on_loopback;
  base.c2s.max_auth_failures = cfg.max_auth_failures;
  base.c2s.refuse_cb_downgrade = cfg.refuse_cb_downgrade;
  base.hibernate_after = cfg.hibernate_after;
  c2s_options = base;
  c2s_tls_options = base;
  c2s_tls_options.direct_tls = true;
  for (auto [name, listen, options] :
       {std::tuple{"c2s", cfg.c2s, &c2s_options}, std::tuple{"c2s_tls", cfg.c2s_tls, &c2s_tls_options}}) {
    if (!listen.enabled) continue;
    auto l = std::make_unique<xmpp::c2s_listener>(io.get_executor(), *tls_context, *im, *options,
                                                  cfg.max_connections);
    tcp::endpoint at(address, listen.port);
    if (auto err = l->listen(at))
      return "cannot listen on " + describe(at) + " for " + name + ": " + err.message();
    ports.push_back({name, l->local_endpoint()});
    asio::co_spawn(io, l->run(), asio::detached);
    c2s.push_back(std::move(l));
  }
  return {};
}

std::size_t server::impl::open_connections() const {
  std::size_t n = http ? http->connections() : 0;
  for (const auto& l : c2s) n += l->connections();
  return n;
}

void server::impl::shutdown() {
  if (serving) spdlog::info("shutting down");
  for (auto& l : c2s) l->stop();  // every session gets <system-shutdown/> and a closed stream
  if (http) http->stop();
  auto deadline = std::chrono::steady_clock::now() + cfg.shutdown_timeout;
  while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  signals.cancel();
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  threads.clear();
  c2s.clear();
  im.reset();
  db.reset();  // closes the database after the last session is gone
  if (serving) spdlog::info("stopped");
  serving = false;
  spdlog::default_logger()->flush();
}

server::server(config c) : impl_(std::make_unique<impl>(std::move(c))) {}

server::~server() {
  if (!impl_->threads.empty()) impl_->shutdown();
}

std::string server::start() {
  auto& s = *impl_;
  if (auto err = prepare_data_dir(s.cfg.data_dir); !err.empty()) return err;
  auto tls = load_or_generate_identity(s.cfg);
  if (!tls.identity) return tls.error;
  s.tls = std::move(tls.identity);

  s.start_threads();
  storage::store_options options{s.cfg.effective_storage_url(), s.cfg.storage_pool_size,
                                 s.cfg.storage_connect_timeout};
  auto opened = asio::co_spawn(s.io, storage::open_store(options), asio::use_future).get();
  if (!opened.db) return opened.error;
  s.db = std::move(opened.db);
  s.router = std::make_unique<core::router>(s.cfg.domains);
  im::im_config im_cfg;
  im_cfg.offline_quota = s.cfg.offline_quota;
  im_cfg.registration = s.cfg.registration;
  im_cfg.registrations_per_ip_hour = s.cfg.registrations_per_ip_hour;
  im_cfg.scram_iterations = s.cfg.scram_iterations;
  im_cfg.kdf_workers = s.cfg.kdf_workers;
  im_cfg.kdf_queue = s.cfg.kdf_queue;
  im_cfg.server_version = OFS_VERSION;
  s.im = std::make_unique<im::service>(*s.router, *s.db, s.io.get_executor(), im_cfg);
  s.im->install();
  s.tls_context.emplace(make_server_context(*s.tls));
  s.mount_routes();

  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.cfg.listen_address, ec);
  if (ec) return "listen.address '" + s.cfg.listen_address + "' is not an IP address";
  if (auto err = s.start_c2s(address); !err.empty()) return err;
  if (s.cfg.http.enabled) {
    http::listener_options opts;
    opts.max_connections = s.cfg.max_connections;
    s.http = std::make_unique<http::listener>(s.io.get_executor(), s.routes, opts);
    tcp::endpoint at(address, s.cfg.http.port);
    if (auto err = s.http->listen(at))
      return "cannot listen on " + describe(at) + " for http: " + err.message();
    s.ports.push_back({"http", s.http->local_endpoint()});
    asio::co_spawn(s.io, s.http->run(), asio::detached);
  }

  s.signals.add(SIGINT);
  s.signals.add(SIGTERM);
  s.signals.async_wait([this](const boost::system::error_code& e, int signo) {
    if (e) return;
    spdlog::info("received signal {}", signo);
    stop();
  });
  for (const auto& p : s.ports) spdlog::info("listening for {} on {}", p.name, describe(p.at));
  s.serving = true;
  return {};
}

std::vector<bound_port> server::ports() const { return impl_->ports; }

void server::run() {
  {
    std::unique_lock lock(impl_->mutex);
    impl_->cv.wait(lock, [this] { return impl_->stop_requested; });
  }
  impl_->shutdown();
}

void server::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stop_requested = true;
  impl_->cv.notify_all();
}

core::router& server::router() { return *impl_->router; }
storage::store& server::store() { return *impl_->db; }

}  // namespace ofs::app
