#include "server/login/login.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>

#include "server/auth/scram.hpp"
#include "server/storage/fault_injecting_store.hpp"
#include "server/storage/memory_store.hpp"

namespace ofs::login {
namespace {

namespace asio = boost::asio;
using auth::sasl_failure;
using auth::sasl_step;
using storage::fault_injecting_store;

// A store with alice@example.org ("secret"), behind a fault injector, and a one-thread pool.
class login_test : public ::testing::Test {
protected:
  login_test() {
    std::vector<auth::scram_credentials> creds{
        auth::make_credentials(auth::scram_hash::sha1, "secret", 64),
        auth::make_credentials(auth::scram_hash::sha256, "secret", 64)};
    EXPECT_TRUE(run(memory.create_account(core::jid::parse("alice@example.org").value(), std::move(creds))));
  }

  // Runs one coroutine to its end, bounded in time.
  template <typename T>
  T run(asio::awaitable<T> a) {
    auto f = asio::co_spawn(io, std::move(a), asio::use_future);
    io.restart();
    io.run_for(std::chrono::seconds(10));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    return f.get();
  }

  password_check check(std::string user, std::string password) {
    return run(check_password(faults, kdf, "example.org", std::move(user), std::move(password)));
  }

  asio::io_context io;
  storage::memory_store memory;
  fault_injecting_store faults{memory};
  auth::kdf_pool kdf{1, 4};
};

TEST_F(login_test, the_right_password_names_the_account) {
  auto r = check("alice", "secret");
  ASSERT_TRUE(r.account);
  EXPECT_EQ(r.account->str(), "alice@example.org");
}

TEST_F(login_test, a_wrong_password_and_an_unknown_user_fail_alike) {
  auto wrong = check("alice", "guess");
  auto unknown = check("mallory", "secret");
  EXPECT_FALSE(wrong.account);
  EXPECT_FALSE(unknown.account);
  EXPECT_EQ(wrong.why, sasl_failure::not_authorized);
  EXPECT_EQ(unknown.why, sasl_failure::not_authorized);
}

TEST_F(login_test, user_names_are_prepared_as_localparts) { EXPECT_TRUE(check("ALICE", "secret").account); }

TEST_F(login_test, a_store_that_fails_is_a_temporary_failure_not_a_wrong_password) {
  faults.fail(fault_injecting_store::op::get_credentials, 1);
  auto r = check("alice", "secret");
  EXPECT_FALSE(r.account);
  EXPECT_EQ(r.why, sasl_failure::temporary_auth_failure);
  EXPECT_TRUE(check("alice", "secret").account);  // and the next attempt works
}

TEST_F(login_test, a_stopped_key_derivation_pool_is_a_temporary_failure) {
  kdf.stop();
  EXPECT_EQ(check("alice", "secret").why, sasl_failure::temporary_auth_failure);
}

TEST_F(login_test, scram_looks_the_account_up_and_challenges_with_its_salt) {
  sasl_exchange x(faults, kdf, "example.org");
  auth::sasl_options o;
  o.domain = "example.org";
  auto first = run(x.start("SCRAM-SHA-256", o, std::string("n,,n=alice,r=abcdef")));
  ASSERT_EQ(first.k, sasl_step::challenge);
  EXPECT_TRUE(first.data.starts_with("r=abcdef"));
  EXPECT_NE(first.data.find(",i=64"), std::string::npos);  // alice's own iteration count
  EXPECT_TRUE(x.in_progress());
  // A proof made without the password fails, and ends the exchange.
  auto nonce = first.data.substr(2, first.data.find(',') - 2);
  auto last = run(x.respond("c=biws,r=" + nonce + ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  EXPECT_EQ(last.k, sasl_step::failure);
  EXPECT_EQ(last.why, sasl_failure::not_authorized);
  EXPECT_FALSE(x.in_progress());
  EXPECT_FALSE(x.account());
}

TEST_F(login_test, mechanisms_not_offered_are_refused_with_the_reason) {
  sasl_exchange x(faults, kdf, "example.org");
  auth::sasl_options plaintext;
  plaintext.domain = "example.org";
  EXPECT_EQ(run(x.start("PLAIN", plaintext, std::nullopt)).why, sasl_failure::encryption_required);
  EXPECT_EQ(run(x.start("SCRAM-SHA-256-PLUS", plaintext, std::nullopt)).why,
            sasl_failure::encryption_required);
  EXPECT_EQ(run(x.start("DIGEST-MD5", plaintext, std::nullopt)).why, sasl_failure::invalid_mechanism);
  EXPECT_FALSE(x.in_progress());
}

TEST_F(login_test, a_response_without_an_exchange_is_malformed) {
  sasl_exchange x(faults, kdf, "example.org");
  EXPECT_EQ(run(x.respond("anything")).why, sasl_failure::malformed_request);
}

}  // namespace
}  // namespace ofs::login
