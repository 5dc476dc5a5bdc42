#pragma once
// server::impl: what the composition root holds, shared by server.cpp (start, shutdown) and
// server_reload.cpp (SIGHUP, ofsctl reload, the certificate expiry check). Private to ofs_app.

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <mutex>
#include <thread>

#include "bosh/endpoint.hpp"
#include "http/host_meta.hpp"
#include "http/listener.hpp"
#include "http/static_files.hpp"
#include "http/status/endpoint.hpp"
#include "server/app/certificate.hpp"
#include "server/app/control_commands.hpp"
#include "server/app/control_socket.hpp"
#include "server/app/logging.hpp"
#include "server/app/metrics.hpp"
#include "server/app/reload.hpp"
#include "server/app/server.hpp"
#include "server/app/service_manager.hpp"
#include "server/app/tls_contexts.hpp"
#include "server/auth/kdf_pool.hpp"
#include "server/core/io_threads.hpp"
#include "server/core/presence_observer.hpp"
#include "server/core/router.hpp"
#include "server/im/service.hpp"
#include "server/login/rate_limiter.hpp"
#include "server/login/widget_tokens.hpp"
#include "server/muc/service.hpp"
#include "server/storage/open_store.hpp"
#include "server/xmpp/c2s_listener.hpp"
#include "server/xmpp/resumption_table.hpp"
#include "ws/endpoint.hpp"
#include "xcap/endpoint.hpp"

namespace ofs::app {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Settings the listeners take from the configuration, at start and at each reload.
http::listener_options http_options_of(const config& c);
void set_stream_limits(const config& c, xmpp::tcp_transport_options& o);

struct server::impl {
  explicit impl(config c)
      : cfg(std::move(c)),
        pool({cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency()),
              cfg.thread_affinity, std::chrono::microseconds(cfg.scheduler_slice_us), cfg.park_idle_threads}),
        io(pool.context(0)),
        signals(stop_io),
        hangup(io, SIGHUP),
        expiry_timer(io) {}

  config cfg;
  core::io_threads pool;  // declared first among the asio objects: destroyed last
  asio::io_context& io;   // the first I/O thread's: timers, the store, services
  // Run by the thread in run(), which has nothing else to do: SIGTERM is seen at once, however
  // much work the I/O threads have queued, and the shutdown's deadlines count from it.
  asio::io_context stop_io;
  asio::signal_set signals;         // SIGINT, SIGTERM
  asio::signal_set hangup;          // SIGHUP: reload
  asio::steady_timer expiry_timer;  // the daily certificate expiry check
  std::mutex reload_mutex;          // one reload at a time; guards cfg and the TLS identities
  std::unique_ptr<storage::store> db;
  std::unique_ptr<core::router> router;
  std::optional<tls_identity> tls;
  std::vector<domain_identity> domain_ids;
  // The default certificate, and per domain by SNI; shared with the connections that use it.
  std::shared_ptr<tls_contexts> tls_context;
  std::unique_ptr<im::service> im;
  std::unique_ptr<muc::service> muc;                    // the multi-user chat component, when [muc] enabled
  std::unique_ptr<xmpp::resumption_table> resumptions;  // XEP-0198, of every client transport
  std::unique_ptr<auth::kdf_pool> tls_workers;          // the c2s TLS handshakes' CPU
  std::unique_ptr<login::widget_tokens> tokens;         // the web widget's login tokens
  std::unique_ptr<login::rate_limiter> visitor_logins;  // SASL ANONYMOUS per address
  xmpp::tcp_transport_options c2s_options, c2s_tls_options;
  std::vector<std::unique_ptr<xmpp::c2s_listener>> c2s;
  http::route_table routes;
  std::unique_ptr<ws::endpoint> websocket;            // XMPP over WebSocket, on both HTTP ports
  std::unique_ptr<http::static_files> web;            // the web root at "/"
  std::unique_ptr<http::host_meta> discovery;         // XEP-0156
  std::string web_note;                               // logged once serving: what "/" serves
  std::unique_ptr<bosh::endpoint> bosh;               // XMPP over BOSH, on both HTTP ports
  std::unique_ptr<xcap::endpoint> xcap;               // XCAP at /xcap-root, on both HTTP ports
  std::unique_ptr<http::status::endpoint> sis;        // status images at /sis, on both HTTP ports
  std::vector<std::unique_ptr<http::listener>> http;  // HTTP, HTTPS
  std::vector<core::tcp_listener*> listeners;         // every port above, for start and shutdown
  metrics stats;
  std::optional<control_context> control_ctx;
  std::unique_ptr<control_socket> control;  // ofsctl's way in
  std::vector<bound_port> ports;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  bool serving = false;  // start() succeeded

  void mount_routes();
  void mount_websocket();
  std::string open_control();
  std::string mount_web();
  void mount_bosh();
  std::string mount_xcap();
  std::string mount_sis();
  std::string start_c2s(const asio::ip::address& address);
  std::string open_port(core::tcp_listener& port, const tcp::endpoint& at);
  void close_connections(std::chrono::steady_clock::time_point deadline);
  std::shared_ptr<asio::ssl::context> default_tls() const {
    return {tls_context, &tls_context->default_context()};
  }
  reload_report reload();
  void apply_reload(const config& loaded);
  void wait_for_hangup();
  void check_expiry();
  void schedule_expiry_check();
  void shutdown();
};

}  // namespace ofs::app
