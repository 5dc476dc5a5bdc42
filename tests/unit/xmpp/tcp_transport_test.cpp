#include "server/xmpp/tcp_transport.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <optional>

#include "tests/unit/xmpp/session_fixture.hpp"

namespace ofs::xmpp::test {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A tcp_transport (and its stream_driver) on one end of a loopback connection, the test's
// blocking socket on the other.
class tcp_transport_test : public session_fixture {
protected:
  tcp_transport_test() {
    options->c2s.domains = {"example.com"};
    options->tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    peer.connect(acceptor.local_endpoint());
    tcp::socket accepted(asio::make_strand(io));
    acceptor.accept(accepted);
    transport = std::make_shared<tcp_transport>(std::move(accepted), svc, options);
    transport->start(tracker.track([](core::connection_tracker::close_mode) {}));
  }

  // Runs fn on the transport's strand.
  void on_strand(std::function<void()> fn) { asio::post(transport->executor(), std::move(fn)); }
  std::string read_peer(std::size_t n) {
    std::string got(n, '\0');
    asio::read(peer, asio::buffer(got));
    return got;
  }

  std::shared_ptr<tcp_transport_options> options = std::make_shared<tcp_transport_options>();
  tcp::socket peer{io};
  std::shared_ptr<tcp_transport> transport;
};

TEST_F(tcp_transport_test, write_reports_once_the_socket_took_the_bytes) {
  std::optional<bool> first, second;
  on_strand([&] {
    transport->write("<a/>", [&](bool ok) { first = ok; });
    transport->write("<b/>");
    transport->write("<c/>", [&](bool ok) { second = ok; });
    EXPECT_FALSE(first) << "reported before the socket was written to";
  });
  ASSERT_TRUE(run_until([&] { return first && second; }));
  EXPECT_TRUE(*first);
  EXPECT_TRUE(*second);
  EXPECT_EQ(read_peer(12), "<a/><b/><c/>");
}

TEST_F(tcp_transport_test, write_reports_false_when_the_connection_closes_first) {
  std::optional<bool> done;
  on_strand([&] {
    transport->write("<lost/>", [&](bool ok) { done = ok; });
    transport->close();  // before the queued write ran
  });
  ASSERT_TRUE(run_until([&] { return done.has_value(); }));
  EXPECT_FALSE(*done);

  std::optional<bool> after;  // a write on a closed connection: false as well, never silence
  on_strand([&] { transport->write("<late/>", [&](bool ok) { after = ok; }); });
  ASSERT_TRUE(run_until([&] { return after.has_value(); }));
  EXPECT_FALSE(*after);

  char byte;
  boost::system::error_code ec;
  peer.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << "nothing queued before the close may reach the peer";
}

TEST_F(tcp_transport_test, the_session_ends_when_the_peer_goes) {
  ASSERT_TRUE(run_until([&] { return tracker.size() == 1; }));
  peer.close();
  ASSERT_TRUE(run_until([&] { return tracker.size() == 0; })) << "the session was not freed";
}

}  // namespace
}  // namespace ofs::xmpp::test
