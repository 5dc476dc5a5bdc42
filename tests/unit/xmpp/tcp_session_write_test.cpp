// transport::write(bytes, written) on TCP: true once the bytes went to the socket, false for
// what a closed connection never sent. Over a real loopback connection.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <optional>

#include "server/core/router.hpp"
#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xmpp/tcp_session.hpp"

namespace ofs::xmpp {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct tcp_pair : ::testing::Test {
  asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  im::service svc{router, store, io.get_executor(), {}};
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp_session_options options;
  tcp::socket peer{io};
  std::shared_ptr<tcp_session> session;

  void SetUp() override {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    peer.connect(acceptor.local_endpoint());
    session = std::make_shared<tcp_session>(acceptor.accept(), tls, svc, options);
  }
  void run() {
    io.restart();
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(io.stopped()) << "still busy after 5 s";
  }
};

TEST_F(tcp_pair, written_is_true_once_the_bytes_went_out) {
  std::optional<bool> first, second;
  session->write("<a/>", [&](bool ok) { first = ok; });
  session->write("<b/>", [&](bool ok) { second = ok; });
  EXPECT_FALSE(first) << "not before the write";
  run();
  EXPECT_EQ(first, true);
  EXPECT_EQ(second, true);
  std::string got(8, '\0');
  asio::read(peer, asio::buffer(got));
  EXPECT_EQ(got, "<a/><b/>");
}

TEST_F(tcp_pair, written_is_false_for_what_a_closed_connection_never_sent) {
  std::optional<bool> queued, late;
  session->write("<a/>", [&](bool ok) { queued = ok; });
  session->close();  // before the write ran
  EXPECT_EQ(queued, false);
  session->write("<b/>", [&](bool ok) { late = ok; });
  EXPECT_EQ(late, false);
  run();
}

}  // namespace
}  // namespace ofs::xmpp
