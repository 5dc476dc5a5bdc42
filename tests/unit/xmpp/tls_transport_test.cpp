// TLS on the c2s transport against an OpenSSL client over loopback, as users meet it:
// stanzas larger than a record, input cut anywhere, peers that misbehave, the end of a
// stream, reconnecting with a ticket, and what an idle TLS session keeps.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/post.hpp>

#include "server/app/tls_tickets.hpp"
#include "tests/unit/xmpp/crypto_memory.hpp"
#include "tests/unit/xmpp/tls_fixture.hpp"

namespace ofs::xmpp::test {
namespace {
namespace asio = boost::asio;
using tls_transport_test = tls_fixture;
constexpr auto npos = std::string::npos;
using session_ptr = std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)>;

// A body whose every position shows: a record lost, doubled or misplaced changes it.
std::string long_body(std::size_t size) {
  std::string body;
  for (std::size_t i = 0; body.size() < size; ++i) body += std::to_string(i) + ' ';
  return body;
}
std::string to_self(const std::string& body, const std::string& resource = "r") {
  return "<message to='alice@example.com/" + resource + "' type='chat' id='big'><body>" + body +
         "</body></message>";
}

TEST_F(tls_transport_test, starttls_carries_a_stanza_larger_than_a_record_both_ways) {
  auto c = connect(/*direct=*/false);
  c->send_raw(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='example.com' version='1.0'>");
  ASSERT_TRUE(c->read_raw_until("</stream:features>")) << c->received();
  c->send_raw("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  ASSERT_TRUE(c->read_raw_until("<proceed")) << c->received();
  ASSERT_TRUE(c->handshake());
  ASSERT_TRUE(log_in(*c)) << c->received();

  const std::string body = long_body(40000);  // three records each way
  c->received().clear();
  ASSERT_TRUE(c->send(to_self(body)));
  ASSERT_TRUE(c->read_until("</message>")) << c->received().substr(0, 300);
  EXPECT_NE(c->received().find("<body>" + body + "</body>"), npos) << "the body came back changed";
}

TEST_F(tls_transport_test, handshake_and_records_that_arrive_one_byte_at_a_time) {
  auto c = connect();
  c->trickle([&] { return server_took_all(*c); });  // the server reads each byte alone
  ASSERT_TRUE(c->handshake());
  ASSERT_TRUE(open_stream(*c)) << c->received();
  EXPECT_NE(c->received().find("<mechanism>PLAIN</mechanism>"), npos) << c->received();
}

TEST_F(tls_transport_test, a_peer_closing_inside_a_record_ends_its_session_only) {
  auto other = connect();
  ASSERT_TRUE(other->handshake());
  ASSERT_TRUE(log_in(*other)) << other->received();
  auto c = connect();
  ASSERT_TRUE(c->handshake());
  ASSERT_TRUE(open_stream(*c));
  const std::string record = c->encrypt("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
  c->send_raw(record.substr(0, record.size() / 2));
  ASSERT_TRUE(server_took_all(*c));
  c.reset();  // closed with half a record sent
  EXPECT_TRUE(wait_until([&] { return tracker.size() == 1; })) << "the cut connection's session lives on";

  other->received().clear();
  ASSERT_TRUE(other->send("<iq type='get' id='p2' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"));
  EXPECT_TRUE(other->read_until("id=\"p2\"")) << other->received();
}

TEST_F(tls_transport_test, garbage_instead_of_a_client_hello_is_closed_and_the_port_serves_on) {
  auto bad = connect();
  bad->send_raw("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_TRUE(bad->server_closed());
  EXPECT_TRUE(wait_until([&] { return tracker.size() == 0; }));

  auto good = connect();
  ASSERT_TRUE(good->handshake());
  EXPECT_TRUE(open_stream(*good)) << good->received();
}

struct flood_state {
  std::atomic<bool> refused{false}, stopped{false};
  std::atomic<std::size_t> queued{0};
};
// Queues 16 KiB at a time on t's strand, as if messages kept coming for the user.
void flood(std::shared_ptr<tcp_transport> t, std::shared_ptr<flood_state> f) {
  t->write(std::string(16 * 1024, 'z'), [f](bool written) {
    if (!written) f->refused = true;
  });
  f->queued += 16 * 1024;
  if (f->refused || f->queued > (64u << 20)) {
    f->stopped = true;
    return;
  }
  asio::post(t->executor(), [t, f] { flood(t, f); });
}

TEST_F(tls_transport_test, a_peer_that_stops_reading_is_closed_at_the_outbox_limit) {
  set_max_outbox(256 * 1024);
  auto c = connect(true, nullptr, /*receive_buffer=*/16 * 1024);
  ASSERT_TRUE(c->handshake());
  ASSERT_TRUE(open_stream(*c));
  auto f = std::make_shared<flood_state>();
  ASSERT_TRUE(on_last_strand([f](tcp_transport& t) { flood(t.shared_from_this(), f); }));
  ASSERT_TRUE(wait_until([&] { return f->stopped.load(); }));
  EXPECT_TRUE(f->refused) << "64 MiB were queued for a peer that reads nothing";
  EXPECT_TRUE(wait_until([&] { return tracker.size() == 0; }));
  EXPECT_TRUE(c->server_closed());
}

TEST_F(tls_transport_test, the_end_of_our_stream_is_followed_by_close_notify) {
  auto c = connect();
  ASSERT_TRUE(c->handshake());
  ASSERT_TRUE(open_stream(*c));
  c->received().clear();
  ASSERT_TRUE(c->send("</stream:stream>"));
  EXPECT_EQ(c->read_to_end(), SSL_ERROR_ZERO_RETURN) << "the TLS stream ended without close_notify";
  EXPECT_NE(c->received().find("</stream:stream>"), npos) << c->received();
}

TEST_F(tls_transport_test, a_reconnecting_client_resumes_with_its_ticket_also_after_a_reload) {
  auto first = connect();
  ASSERT_TRUE(first->handshake());
  ASSERT_TRUE(open_stream(*first));  // the ticket comes after the handshake
  EXPECT_FALSE(first->resumed());
  session_ptr ticket(first->session(), &SSL_SESSION_free);
  ASSERT_TRUE(ticket && SSL_SESSION_is_resumable(ticket.get()));

  auto again = connect(true, ticket.get());
  ASSERT_TRUE(again->handshake());
  EXPECT_TRUE(again->resumed());
  EXPECT_TRUE(open_stream(*again)) << again->received();

  use_contexts(std::make_shared<app::tls_contexts>(identity, std::vector<app::domain_identity>{}));
  auto after_reload = connect(true, ticket.get());
  ASSERT_TRUE(after_reload->handshake());
  EXPECT_TRUE(after_reload->resumed()) << "the reloaded contexts refused a ticket of the old ones";
  EXPECT_TRUE(open_stream(*after_reload)) << after_reload->received();

  app::rotate_ticket_keys();  // the hourly rotation: tickets already out stay good
  auto after_rotation = connect(true, ticket.get());
  ASSERT_TRUE(after_rotation->handshake());
  EXPECT_TRUE(after_rotation->resumed()) << "a key rotation refused a ticket of the previous key";
}

// One connection's share of OpenSSL's heap on the server's thread once it is idle, right
// after records of full size went both ways. Its SSL object alone is 7.5 KiB; a record
// buffer kept would add 16.5 KiB (write) or 16.7 KiB (read).
TEST_F(tls_transport_test, an_idle_session_gives_its_record_buffers_back) {
  ASSERT_TRUE(crypto_memory::installed()) << "OpenSSL allocated before the counter was installed";
  const std::string body = long_body(40000);
  auto use = [&](tls_client& c, const std::string& resource) {
    ASSERT_TRUE(c.handshake());
    ASSERT_TRUE(log_in(c, resource)) << c.received();
    c.received().clear();
    ASSERT_TRUE(c.send(to_self(body, resource)));
    ASSERT_TRUE(c.read_until("</message>"));
    // Two turns of its strand: whatever the session still had to do after its last write is done.
    ASSERT_TRUE(on_last_strand([](tcp_transport&) {}));
    ASSERT_TRUE(on_last_strand([](tcp_transport&) {}));
  };
  auto warm = connect();  // the first one on the thread also sets up what every later one shares
  use(*warm, "warm");
  const long long before = crypto_memory::live_bytes(io_thread_index);
  auto c = connect();
  use(*c, "r");
  const long long held = crypto_memory::live_bytes(io_thread_index) - before;
  RecordProperty("openssl_bytes_per_idle_session", std::to_string(held));
  EXPECT_GT(held, 4096) << "the counter did not see the connection's SSL object";
  EXPECT_LT(held, 16 * 1024) << "an idle TLS session holds " << held << " bytes of OpenSSL state";
}

}  // namespace
}  // namespace ofs::xmpp::test
