#pragma once
// A TLS c2s server for tests: tcp_transports behind a direct TLS port and a STARTTLS port on
// loopback, with the server's own TLS contexts (certificate, tickets), a router and IM layer
// on a memory store, all on one I/O thread of their own; the tests' blocking clients
// (tls_client) talk to it as a user's client would.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "server/app/tls_contexts.hpp"
#include "server/core/connection_tracker.hpp"
#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xmpp/tcp_transport.hpp"
#include "tests/unit/xmpp/tls_client.hpp"

namespace ofs::xmpp::test {

class tls_fixture : public ::testing::Test {
protected:
  tls_fixture();
  ~tls_fixture() override;

  // A client of the direct TLS port (XEP-0368), or of the STARTTLS one; not yet in TLS.
  std::unique_ptr<tls_client> connect(bool direct = true, SSL_SESSION* resume = nullptr,
                                      int receive_buffer = 0);
  // From a completed handshake: the stream header and its features.
  static bool open_stream(tls_client& c);
  // open_stream(), PLAIN as alice, the new stream and a bound resource.
  static bool log_in(tls_client& c, const std::string& resource = "r");

  // Polls done() until it holds or the limit passes.
  static bool wait_until(const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
  // Runs fn on the strand of the connection accepted last, and waits until it did.
  bool on_last_strand(std::function<void(tcp_transport&)> fn);
  // The server has read every byte c sent (its receive queue is empty): for tls_client::trickle.
  bool server_took_all(const tls_client& c);

  // Connections accepted from now on: these TLS contexts (a reload), this outbox limit.
  void use_contexts(std::shared_ptr<app::tls_contexts> next);
  void set_max_outbox(std::size_t bytes);

  boost::asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  im::service svc{router, store, io.get_executor(), {}};
  core::connection_tracker tracker;
  app::tls_identity identity;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ctx{SSL_CTX_new(TLS_client_method()),
                                                               &SSL_CTX_free};
  int io_thread_index = -1;  // crypto_memory's index of the I/O thread

private:
  void accept(boost::asio::ip::tcp::acceptor& on, bool direct);

  std::mutex mutex_;  // the members below, which the I/O thread reads
  std::shared_ptr<app::tls_contexts> contexts_;
  std::size_t max_outbox_ = tcp_transport_options{}.max_outbox_bytes;
  std::shared_ptr<tcp_transport> last_;
  int last_fd_ = -1;

  boost::asio::ip::tcp::acceptor direct_{io}, starttls_{io};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io.get_executor()};
  std::thread thread_;
};

}  // namespace ofs::xmpp::test
