// A BOSH session over a real stream driver and IM layer (memory store), driven request by
// request as the endpoint does, with the answers read from the reply slots.
#include "bosh/bosh_session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include "tests/unit/xmpp/session_fixture.hpp"

namespace ofs::bosh {
namespace {
namespace asio = boost::asio;

class bosh_session_test : public xmpp::test::session_fixture {
protected:
  bosh_session_test() {
    options_.c2s.domains = {"example.com"};
    options_.c2s.require_tls = false;
  }

  // Ends the session, which breaks its hold on its driver (nothing leaks past the test).
  void TearDown() override {
    if (!session_) return;
    session_->shut_down(core::connection_tracker::close_mode::now);
    EXPECT_TRUE(run_until([&] { return ended_.has_value(); }));
    run_until([] { return false; }, std::chrono::milliseconds(50));  // the driver's last handlers
  }

  // An answer to be: filled when the session answers the request.
  std::shared_ptr<std::optional<std::string>> expect_answer(std::shared_ptr<reply_slot> slot) {
    auto out = std::make_shared<std::optional<std::string>>();
    auto wait = [slot, out]() -> asio::awaitable<void> {
      auto [ec, body] = co_await slot->wait();
      *out = ec ? "abandoned" : body;
    };
    asio::co_spawn(io, std::move(wait), asio::detached);
    return out;
  }

  std::shared_ptr<std::optional<std::string>> create(unsigned hold = 1,
                                                     std::chrono::seconds wait = std::chrono::seconds(1)) {
    session_settings s;
    s.domain = "example.com";
    s.first_rid = 100;
    s.wait = wait;
    s.hold = hold;
    s.requests = hold + 1;
    s.loopback = true;
    s.remote = "127.0.0.1";
    auto slot = std::make_shared<reply_slot>(io.get_executor());
    auto answer = expect_answer(slot);
    session_ = std::make_shared<bosh_session>(asio::make_strand(io), s, reply_handle(slot),
                                              [this](const std::string& sid) { ended_ = sid; });
    session_->set_sid("0123456789abcdef0123456789abcdef");
    session_->keep(xmpp::stream_driver::launch(session_, svc, options_,
                                               tracker.track([](core::connection_tracker::close_mode) {})));
    return answer;
  }

  std::shared_ptr<std::optional<std::string>> send(std::uint64_t rid, std::string payload = {}) {
    std::string why;
    auto b = parse_body("<body xmlns='http://jabber.org/protocol/httpbind' sid='s' rid='" +
                            std::to_string(rid) + "'>" + payload + "</body>",
                        1 << 20, why);
    EXPECT_TRUE(b) << why;
    auto slot = std::make_shared<reply_slot>(io.get_executor());
    auto answer = expect_answer(slot);
    session_->submit(std::move(*b), false, reply_handle(slot));
    return answer;
  }

  bool answered(const std::shared_ptr<std::optional<std::string>>& a) {
    return run_until([&] { return a->has_value(); }, std::chrono::milliseconds(3000));
  }

  xmpp::stream_driver_options options_;
  std::shared_ptr<bosh_session> session_;
  std::optional<std::string> ended_;
};

TEST_F(bosh_session_test, the_creation_response_carries_the_session_and_the_features) {
  auto a = create();
  ASSERT_TRUE(answered(a));
  const auto& body = **a;
  EXPECT_NE(body.find("sid='0123456789abcdef0123456789abcdef'"), std::string::npos) << body;
  EXPECT_NE(body.find("hold='1'"), std::string::npos) << body;
  EXPECT_NE(body.find("xmpp:restartlogic='true'"), std::string::npos) << body;
  EXPECT_NE(body.find("<mechanism>SCRAM-SHA-256</mechanism>"), std::string::npos) << body;
  EXPECT_EQ(body.find("-PLUS"), std::string::npos) << body;
}

TEST_F(bosh_session_test, an_empty_request_is_held_for_wait_then_answered_empty) {
  ASSERT_TRUE(answered(create()));
  const auto start = std::chrono::steady_clock::now();
  auto a = send(101);
  ASSERT_TRUE(answered(a));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(**a, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
}

TEST_F(bosh_session_test, output_goes_to_the_oldest_held_request_and_a_resend_gets_the_same_answer) {
  ASSERT_TRUE(answered(create(1, std::chrono::seconds(1))));
  auto held = send(101);
  auto second = send(102, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='NOPE'/>");
  ASSERT_TRUE(answered(held));  // the answer to 102's payload, in the oldest request held
  EXPECT_NE((*held)->find("<invalid-mechanism/>"), std::string::npos) << **held;
  EXPECT_EQ((*held)->find("ack="), std::string::npos) << **held;  // no acks asked for
  ASSERT_TRUE(answered(second));                                  // then held for its 'wait'
  EXPECT_EQ(**second, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
  auto again = send(101);
  ASSERT_TRUE(answered(again));
  EXPECT_EQ(**again, **held);
}

TEST_F(bosh_session_test, a_rid_past_the_window_ends_the_session_with_item_not_found) {
  ASSERT_TRUE(answered(create()));
  auto a = send(103);  // 101 is next; requests='2' allows 102 at most
  ASSERT_TRUE(answered(a));
  EXPECT_EQ(
      **a, "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>");
  ASSERT_TRUE(run_until([&] { return ended_.has_value(); }));
  EXPECT_EQ(*ended_, "0123456789abcdef0123456789abcdef");
}

}  // namespace
}  // namespace ofs::bosh
