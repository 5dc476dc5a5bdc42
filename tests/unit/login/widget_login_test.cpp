// The widget's login pieces: tokens (issue, verify through HT-SHA-256-NONE, expiry by
// lifetime, revocation, the per-account cap), SASL ANONYMOUS on a visitors' domain, and the
// per-address rate limit of visitor logins.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>

#include "server/auth/anonymous_server.hpp"
#include "server/login/login.hpp"
#include "server/login/rate_limiter.hpp"
#include "server/login/widget_tokens.hpp"
#include "server/storage/memory_store.hpp"

namespace ofs::login {
namespace {

namespace asio = boost::asio;
using auth::sasl_failure;
using auth::sasl_step;

core::jid alice() { return core::jid::parse("alice@example.org").value(); }

std::string ht_response(std::string_view user, std::string_view secret) {
  std::string r(user);
  r.push_back('\0');
  return r + widget_tokens::initiator_hmac(secret);
}

class widget_login_test : public ::testing::Test {
protected:
  template <typename T>
  T run(asio::awaitable<T> a) {
    auto f = asio::co_spawn(io, std::move(a), asio::use_future);
    io.restart();
    io.run_for(std::chrono::seconds(10));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    return f.get();
  }
  sasl_step token_login(std::string initial, bool offered = true) {
    sasl_exchange exchange(store, kdf, "example.org");
    exchange.use_tokens(&tokens);
    auth::sasl_options o;
    o.domain = "example.org";
    o.token = offered;
    auto step = run(exchange.start("HT-SHA-256-NONE", o, std::move(initial)));
    if (step.k == sasl_step::success) account = exchange.account();
    return step;
  }

  asio::io_context io;
  storage::memory_store store;
  auth::kdf_pool kdf{1, 4};
  widget_tokens tokens{std::chrono::hours(1)};
  std::optional<core::jid> account;
};

TEST_F(widget_login_test, an_issued_token_logs_its_account_in_and_the_server_proves_it_knows_it) {
  auto t = tokens.issue(alice());
  EXPECT_EQ(t.secret.size(), 43u);  // 32 random bytes, base64url
  EXPECT_GT(t.expiry, std::chrono::system_clock::now() + std::chrono::minutes(59));
  auto step = token_login(ht_response("alice", t.secret));
  ASSERT_EQ(step.k, sasl_step::success) << step.text;
  EXPECT_EQ(step.data, widget_tokens::responder_hmac(t.secret));
  EXPECT_EQ(account->str(), "alice@example.org");
}

TEST_F(widget_login_test, a_token_does_not_log_in_another_account_nor_a_wrong_one) {
  auto t = tokens.issue(alice());
  EXPECT_EQ(token_login(ht_response("bob", t.secret)).why, sasl_failure::not_authorized);
  EXPECT_EQ(token_login(ht_response("alice", "guessed")).why, sasl_failure::not_authorized);
  EXPECT_EQ(token_login("alice").why, sasl_failure::malformed_request);  // no NUL, no HMAC
  EXPECT_FALSE(account);
}

TEST_F(widget_login_test, the_mechanism_is_refused_where_it_was_not_offered) {
  auto t = tokens.issue(alice());
  EXPECT_EQ(token_login(ht_response("alice", t.secret), false).why, sasl_failure::invalid_mechanism);
}

TEST_F(widget_login_test, revoked_and_expired_tokens_no_longer_work) {
  auto t = tokens.issue(alice());
  tokens.issue(alice());
  EXPECT_EQ(tokens.revoke(alice()), 2u);
  EXPECT_EQ(token_login(ht_response("alice", t.secret)).why, sasl_failure::not_authorized);
  widget_tokens instant{std::chrono::seconds(0)};
  auto gone = instant.issue(alice());
  EXPECT_FALSE(instant.verify(alice(), widget_tokens::initiator_hmac(gone.secret)));
  EXPECT_EQ(instant.size(), 0u);
}

TEST_F(widget_login_test, an_account_keeps_only_its_newest_tokens) {
  widget_tokens few{std::chrono::hours(1), 2};
  auto first = few.issue(alice());
  auto second = few.issue(alice());
  auto third = few.issue(alice());
  EXPECT_FALSE(few.verify(alice(), widget_tokens::initiator_hmac(first.secret)));
  EXPECT_TRUE(few.verify(alice(), widget_tokens::initiator_hmac(second.secret)));
  EXPECT_TRUE(few.verify(alice(), widget_tokens::initiator_hmac(third.secret)));
  EXPECT_EQ(few.size(), 2u);
}

TEST_F(widget_login_test, the_token_itself_is_not_the_proof) {
  auto t = tokens.issue(alice());
  std::string raw("alice");
  raw.push_back('\0');
  EXPECT_EQ(token_login(raw + t.secret).why, sasl_failure::malformed_request);
  EXPECT_FALSE(tokens.verify(alice(), t.secret));
}

TEST_F(widget_login_test, anonymous_gives_a_fresh_visitor_name_on_a_visitors_domain_only) {
  auth::sasl_options visitors;
  visitors.domain = "visitors.example.org";
  visitors.anonymous = true;
  EXPECT_EQ(auth::mechanisms(visitors), std::vector<std::string>{"ANONYMOUS"});
  visitors.token = true;
  EXPECT_EQ(auth::mechanisms(visitors), (std::vector<std::string>{"ANONYMOUS", "HT-SHA-256-NONE"}));
  EXPECT_FALSE(auth::make_mechanism("SCRAM-SHA-256", visitors));
  EXPECT_FALSE(auth::make_mechanism("PLAIN", visitors));
  auth::sasl_options accounts;
  accounts.domain = "example.org";
  EXPECT_FALSE(auth::make_mechanism("ANONYMOUS", accounts));

  sasl_exchange one(store, kdf, "visitors.example.org"), two(store, kdf, "visitors.example.org");
  ASSERT_EQ(run(one.start("ANONYMOUS", visitors, std::string("trace@example.com"))).k, sasl_step::success);
  ASSERT_EQ(run(two.start("ANONYMOUS", visitors, std::string())).k, sasl_step::success);
  EXPECT_EQ(one.account()->domain(), "visitors.example.org");
  EXPECT_TRUE(one.account()->node().starts_with("visitor-"));
  EXPECT_NE(one.account()->node(), two.account()->node());
}

TEST(anonymous_server, refuses_an_overlong_trace_and_answers_a_missing_one_with_a_challenge) {
  auth::anonymous_server m;
  EXPECT_EQ(m.start(std::string(256, 'a')).why, sasl_failure::malformed_request);
  auth::anonymous_server n;
  EXPECT_EQ(n.start(std::nullopt).k, sasl_step::challenge);
  EXPECT_EQ(n.step("").k, sasl_step::success);
  EXPECT_TRUE(n.authenticated_user().starts_with("visitor-"));
}

TEST(rate_limiter, allows_n_per_window_per_address) {
  rate_limiter limit(2, std::chrono::minutes(1));
  const auto t0 = rate_limiter::clock::now();
  EXPECT_TRUE(limit.allow("10.0.0.1", t0));
  EXPECT_TRUE(limit.allow("10.0.0.1", t0));
  EXPECT_FALSE(limit.allow("10.0.0.1", t0 + std::chrono::seconds(30)));
  EXPECT_TRUE(limit.allow("10.0.0.2", t0));  // another address has its own count
  EXPECT_TRUE(limit.allow("10.0.0.1", t0 + std::chrono::seconds(61)));
  rate_limiter none(0, std::chrono::minutes(1));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(none.allow("10.0.0.1"));
}

}  // namespace
}  // namespace ofs::login
