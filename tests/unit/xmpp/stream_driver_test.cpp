#include "server/xmpp/stream_driver.hpp"

#include <gtest/gtest.h>

#include <boost/asio/strand.hpp>
#include <stdexcept>

#include "tests/unit/xmpp/fake_transport.hpp"
#include "tests/unit/xmpp/session_fixture.hpp"

namespace ofs::xmpp::test {
namespace {
namespace asio = boost::asio;

const std::string header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";
const std::string starttls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

struct session {
  std::shared_ptr<fake_transport> t;
  std::weak_ptr<stream_driver> driver;
};

class stream_driver_test : public session_fixture {
protected:
  stream_driver_test() { options.c2s.domains = {"example.com"}; }

  session open() {
    auto t = std::make_shared<fake_transport>(asio::make_strand(io));
    auto d =
        stream_driver::launch(t, svc, options, tracker.track([](core::connection_tracker::close_mode) {}));
    return {t, d};
  }
  // Runs what is ready until nothing is (the watchdog's timer stays pending).
  void settle() {
    while (io.poll() > 0) {
    }
  }
  static bool has(const session& s, std::string_view what) {
    return s.t->output.find(what) != std::string::npos;
  }

  stream_driver_options options;
};

TEST_F(stream_driver_test, answers_a_stream_header_with_features) {
  auto s = open();
  s.t->feed(header);
  ASSERT_TRUE(run_until([&] { return has(s, "</stream:features>"); })) << s.t->output;
  EXPECT_TRUE(has(s, "<starttls")) << s.t->output;
  EXPECT_FALSE(s.t->closed);
}

TEST_F(stream_driver_test, a_parse_error_is_reported_after_the_events_before_it) {
  auto s = open();
  s.t->feed(header + "<<");
  ASSERT_TRUE(run_until([&] { return s.t->closed; })) << s.t->output;
  const auto features = s.t->output.find("</stream:features>");
  const auto error = s.t->output.find("<not-well-formed");
  ASSERT_NE(features, std::string::npos) << s.t->output;
  EXPECT_GT(error, features) << s.t->output;
}

TEST_F(stream_driver_test, a_throwing_handler_ends_only_its_session) {
  auto bad = open(), good = open();
  bad.t->throw_on_write = true;  // the stream header's answer throws inside the read handler
  bad.t->feed(header);
  ASSERT_TRUE(run_until([&] { return bad.driver.expired(); })) << "the failed session was not freed";
  EXPECT_TRUE(bad.t->closed);
  EXPECT_EQ(tracker.size(), 1u);

  good.t->feed(header);
  ASSERT_TRUE(run_until([&] { return has(good, "</stream:features>"); })) << good.t->output;
  EXPECT_FALSE(good.t->closed);
}

TEST_F(stream_driver_test, an_exception_in_posted_work_ends_only_its_session) {
  auto bad = open(), good = open();
  settle();
  bad.driver.lock()->post([] { throw std::logic_error("a bug in a delivery"); });
  ASSERT_TRUE(run_until([&] { return bad.driver.expired(); }));
  EXPECT_TRUE(bad.t->closed);

  good.t->feed(header);
  ASSERT_TRUE(run_until([&] { return has(good, "</stream:features>"); })) << good.t->output;
}

// RFC 6120 5.4.3.3: what came in clear with <starttls/>, parsed or not, well-formed or not,
// never reaches the TLS stream.
TEST_F(stream_driver_test, starttls_drops_everything_sent_before_the_handshake) {
  for (std::string injected : {"<?xml version='1.0'?>" + header, header, std::string("<message><bo")}) {
    auto s = open();
    s.t->feed(header);
    ASSERT_TRUE(run_until([&] { return has(s, "</stream:features>"); }));
    s.t->output.clear();
    s.t->feed(starttls + injected);
    ASSERT_TRUE(run_until([&] { return s.t->tls; })) << injected;
    settle();
    EXPECT_EQ(s.t->output.find("<stream:"), std::string::npos) << injected << "\n" << s.t->output;
    EXPECT_FALSE(s.t->closed) << injected;

    s.t->output.clear();
    s.t->feed(header);
    ASSERT_TRUE(run_until([&] { return has(s, "</stream:features>"); })) << injected;
    EXPECT_TRUE(has(s, "<mechanisms")) << s.t->output;
    EXPECT_FALSE(has(s, "<stream:error>")) << s.t->output;
  }
}

}  // namespace
}  // namespace ofs::xmpp::test
