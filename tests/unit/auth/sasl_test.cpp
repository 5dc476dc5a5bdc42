#include "server/auth/sasl.hpp"

#include <gtest/gtest.h>

#include "server/auth/plain_server.hpp"

namespace ofs::auth {
// Readable test failures; the same inline definition is in each test file of this target.
inline void PrintTo(const sasl_step& s, std::ostream* os) {
  static const char* const kinds[] = {"challenge", "success", "failure", "need_credentials"};
  *os << kinds[s.k] << " \"" << s.data << "\"";
  if (s.k == sasl_step::failure) *os << " " << to_string(s.why) << " \"" << s.text << "\"";
}

namespace {

using namespace std::string_literals;

const channel_binding some_cb{"exporter-bytes", "end-point-hash"};

sasl_options options(bool tls, channel_binding cb = {}, bool allow_plain = false) {
  sasl_options o;
  o.domain = "example.com";
  o.tls = tls;
  o.allow_plain_without_tls = allow_plain;
  o.cb = std::move(cb);
  return o;
}

std::vector<scram_credentials> account(std::string_view password = "pencil") {
  return {make_credentials(scram_hash::sha1, password, 4096),
          make_credentials(scram_hash::sha256, password, 4096)};
}

sasl_step plain(std::string_view message, std::optional<std::vector<scram_credentials>> creds,
                sasl_mechanism* keep = nullptr) {
  plain_server local("example.com");
  sasl_mechanism& m = keep ? *keep : local;
  auto s = m.start(message);
  if (s.k == sasl_step::need_credentials) s = m.set_credentials(std::move(creds));
  return s;
}

const sasl_step not_authorized = sasl_step::make_failure(sasl_failure::not_authorized);

TEST(sasl, failure_names_are_rfc6120_elements) {
  EXPECT_EQ(to_string(sasl_failure::aborted), "aborted");
  EXPECT_EQ(to_string(sasl_failure::account_disabled), "account-disabled");
  EXPECT_EQ(to_string(sasl_failure::credentials_expired), "credentials-expired");
  EXPECT_EQ(to_string(sasl_failure::encryption_required), "encryption-required");
  EXPECT_EQ(to_string(sasl_failure::incorrect_encoding), "incorrect-encoding");
  EXPECT_EQ(to_string(sasl_failure::invalid_authzid), "invalid-authzid");
  EXPECT_EQ(to_string(sasl_failure::invalid_mechanism), "invalid-mechanism");
  EXPECT_EQ(to_string(sasl_failure::malformed_request), "malformed-request");
  EXPECT_EQ(to_string(sasl_failure::mechanism_too_weak), "mechanism-too-weak");
  EXPECT_EQ(to_string(sasl_failure::not_authorized), "not-authorized");
  EXPECT_EQ(to_string(sasl_failure::temporary_auth_failure), "temporary-auth-failure");
}

TEST(sasl, mechanisms_in_preference_order) {
  using list = std::vector<std::string>;
  const list all{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"};
  EXPECT_EQ(mechanisms(true, true, false), all);
  EXPECT_EQ(mechanisms(true, false, false), list(all.begin() + 2, all.end()));
  EXPECT_EQ(mechanisms(false, false, false), list({"SCRAM-SHA-256", "SCRAM-SHA-1"}));
  EXPECT_EQ(mechanisms(false, false, true), list(all.begin() + 2, all.end()));
  EXPECT_EQ(mechanisms(options(true, some_cb)), all);
  EXPECT_EQ(mechanisms(options(false, some_cb)), list({"SCRAM-SHA-256", "SCRAM-SHA-1"}));
  EXPECT_EQ(mechanisms(options(true, {"x", ""})), all);
  EXPECT_EQ(mechanisms(options(true, {"", "x"})), all);
}

TEST(sasl, make_mechanism_accepts_exactly_what_is_advertised) {
  for (auto& o : {options(true, some_cb), options(true), options(false), options(false, {}, true)}) {
    auto offered = mechanisms(o);
    for (std::string name :
         {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}) {
      auto m = make_mechanism(name, o);
      const bool listed = std::find(offered.begin(), offered.end(), name) != offered.end();
      EXPECT_EQ(bool(m), listed) << name;
      if (m) {
        EXPECT_EQ(m->name(), name);
      }
    }
    for (std::string_view name : {"", "scram-sha-1", "SCRAM-SHA-512", "SCRAM-SHA-1-PLUS-PLUS", "-PLUS",
                                  "DIGEST-MD5", "EXTERNAL", "ANONYMOUS", "PLAIN-PLUS"})
      EXPECT_EQ(make_mechanism(name, o), nullptr) << name;
  }
  EXPECT_TRUE(make_mechanism("PLAIN", options(true))->requires_tls());
}

TEST(sasl, authzid_rules) {
  EXPECT_TRUE(authzid_allowed("", "user", "example.com"));
  EXPECT_TRUE(authzid_allowed("user@example.com", "user", "example.com"));
  EXPECT_TRUE(authzid_allowed("User@EXAMPLE.com", "user", "example.com"));
  EXPECT_FALSE(authzid_allowed("user@example.com/res", "user", "example.com"));
  EXPECT_FALSE(authzid_allowed("admin@example.com", "user", "example.com"));
  EXPECT_FALSE(authzid_allowed("example.com", "user", "example.com"));
  EXPECT_FALSE(authzid_allowed("user", "user", "example.com"));
  EXPECT_FALSE(authzid_allowed("@@", "user", "example.com"));
}

TEST(sasl, decoys_are_stable_per_name_and_shaped_like_real_credentials) {
  auto a = decoy_credentials(scram_hash::sha256, "nobody");
  EXPECT_EQ(a, decoy_credentials(scram_hash::sha256, "nobody"));
  EXPECT_NE(a.salt, decoy_credentials(scram_hash::sha256, "nobody2").salt);
  EXPECT_NE(a.salt, decoy_credentials(scram_hash::sha1, "nobody").salt);
  auto real = make_credentials(scram_hash::sha256, "x");
  EXPECT_EQ(a.salt.size(), real.salt.size());
  EXPECT_EQ(a.iterations, real.iterations);
  EXPECT_EQ(a.stored_key.size(), real.stored_key.size());
  EXPECT_EQ(decoy_credentials(scram_hash::sha1, "nobody").stored_key.size(), 20u);
}

TEST(sasl, unusable_stored_credentials_are_ignored) {
  auto creds = account();
  EXPECT_EQ(find_credentials(creds, scram_hash::sha1), &creds[0]);
  EXPECT_EQ(find_credentials(creds, scram_hash::sha256), &creds[1]);
  creds[1].iterations = 0;
  creds[0].stored_key.pop_back();
  EXPECT_EQ(find_credentials(creds, scram_hash::sha1), nullptr);
  EXPECT_EQ(find_credentials(creds, scram_hash::sha256), nullptr);
  EXPECT_EQ(find_credentials({}, scram_hash::sha256), nullptr);
}

TEST(plain_server, success_asks_for_the_prepared_user) {
  plain_server m("example.com");
  EXPECT_EQ(m.start("\0User\0pencil"s), sasl_step::make_need_credentials("user"));
  EXPECT_EQ(m.username(), "user");
  EXPECT_EQ(m.authenticated_user(), "");
  EXPECT_EQ(m.set_credentials(account()), sasl_step::make_success());
  EXPECT_EQ(m.authenticated_user(), "user");
  EXPECT_EQ(m.step("again").k, sasl_step::failure);
}

TEST(plain_server, uses_whichever_hash_is_stored) {
  auto creds = account();
  EXPECT_EQ(plain("\0user\0pencil"s, std::vector{creds[0]}).k, sasl_step::success);
  EXPECT_EQ(plain("\0user\0pencil"s, std::vector{creds[1]}).k, sasl_step::success);
}

TEST(plain_server, without_initial_response_sends_an_empty_challenge) {
  plain_server m("example.com");
  EXPECT_EQ(m.start(std::nullopt), sasl_step::make_challenge(""));
  EXPECT_EQ(m.step("\0user\0pencil"s).k, sasl_step::need_credentials);
  EXPECT_EQ(m.set_credentials(account()).k, sasl_step::success);
}

TEST(plain_server, saslprep_applies_to_name_and_password) {
  // U+00AD maps to nothing, U+00A0 to a space (RFC 4013).
  EXPECT_EQ(plain("\0us\xC2\xAD"
                  "er\0pass\xC2\xA0word"s,
                  account("pass word"))
                .k,
            sasl_step::success);
  EXPECT_EQ(plain("\0user\0pass\x07"s, account("pass\x07")), not_authorized);  // prohibited
}

TEST(plain_server, wrong_password_and_unknown_user_fail_alike) {
  EXPECT_EQ(plain("\0user\0wrong"s, account()), not_authorized);
  EXPECT_EQ(plain("\0user\0pencil"s, std::nullopt), not_authorized);
  EXPECT_EQ(plain("\0user\0pencil"s, std::vector<scram_credentials>{}), not_authorized);
  EXPECT_EQ(plain("\0a@b\0pencil"s, account()), not_authorized);  // not a localpart
  plain_server m("example.com");
  EXPECT_EQ(plain("\0user\0wrong"s, account(), &m), not_authorized);
  EXPECT_EQ(m.authenticated_user(), "");
}

TEST(plain_server, a_name_that_cannot_be_an_account_is_verified_like_any_other) {
  // No account to look up (""), but the decoy derivation still comes in set_credentials,
  // which the session runs on the key derivation pool.
  plain_server m("example.com");
  EXPECT_EQ(m.start("\0a@b\0pencil"s), sasl_step::make_need_credentials(""));
  EXPECT_EQ(m.set_credentials(account()), not_authorized);  // even if handed some
  EXPECT_EQ(m.authenticated_user(), "");
}

TEST(sasl, only_plain_derives_keys_when_given_credentials) {
  EXPECT_TRUE(make_mechanism("PLAIN", options(true))->derives_keys());
  for (auto name : {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1"})
    EXPECT_FALSE(make_mechanism(name, options(true, some_cb))->derives_keys()) << name;
}

TEST(plain_server, authzid_must_be_the_users_bare_jid) {
  EXPECT_EQ(plain("user@example.com\0user\0pencil"s, account()).k, sasl_step::success);
  EXPECT_EQ(plain("admin@example.com\0user\0pencil"s, account()),
            sasl_step::make_failure(sasl_failure::invalid_authzid));
  // A wrong password is reported as such, whatever the authzid.
  EXPECT_EQ(plain("admin@example.com\0user\0wrong"s, account()), not_authorized);
}

TEST(plain_server, malformed_messages) {
  const std::string long_field(256, 'a');
  for (std::string bad :
       {""s, "user"s, "\0user"s, "\0user\0"s, "\0\0pencil"s, "a\0b\0c\0d"s, "\0user\0pencil\0"s,
        "\0"s + long_field + "\0pencil"s, "\0user\0"s + long_field, long_field + "\0user\0pencil"s}) {
    plain_server m("example.com");
    EXPECT_EQ(m.start(bad).why, sasl_failure::malformed_request) << bad;
    EXPECT_EQ(m.set_credentials(account()).k, sasl_step::failure);
  }
}

}  // namespace
}  // namespace ofs::auth
