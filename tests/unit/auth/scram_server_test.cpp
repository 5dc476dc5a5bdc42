#include "server/auth/scram_server.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "server/auth/base64.hpp"

namespace ofs::auth {
// Readable test failures; the same inline definition is in each test file of this target.
inline void PrintTo(const sasl_step& s, std::ostream* os) {
  static const char* const kinds[] = {"challenge", "success", "failure", "need_credentials"};
  *os << kinds[s.k] << " \"" << s.data << "\"";
  if (s.k == sasl_step::failure) *os << " " << to_string(s.why) << " \"" << s.text << "\"";
}

namespace {

// Base64 and SCRAM math written straight from RFC 5802 with OpenSSL, independent of the
// server's helpers, so a shared mistake cannot hide.
std::string b64(std::string_view s) {
  std::string out((s.size() + 2) / 3 * 4, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  return out;
}
std::string unb64(std::string_view s) {
  std::string out(s.size() / 4 * 3, '\0');
  EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(out.size() - (s.ends_with("==") ? 2 : s.ends_with("=") ? 1 : 0));
  return out;
}

// A SCRAM client: gs2 is the GS2 header, cb the channel-binding data it believes in.
struct test_client {
  const EVP_MD* md = nullptr;
  std::string user, password, nonce, gs2 = "n,,", cb;
  std::string bare, auth, salted;

  std::string mac(std::string_view key, std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
    return {reinterpret_cast<char*>(out), n};
  }
  std::string first() {
    std::string escaped;
    for (char c : user) escaped += c == ',' ? "=2C" : c == '=' ? "=3D" : std::string(1, c);
    bare = "n=" + escaped + ",r=" + nonce;
    return gs2 + bare;
  }
  std::string final(const std::string& server_first) {
    auto r = server_first.find("r="), s = server_first.find(",s="), i = server_first.find(",i=");
    const auto full_nonce = server_first.substr(r + 2, s - r - 2);
    const auto salt = unb64(server_first.substr(s + 3, i - s - 3));
    const int iterations = std::stoi(server_first.substr(i + 3));
    salted.resize(EVP_MD_get_size(md));
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, md,
                      static_cast<int>(salted.size()),
                      reinterpret_cast<unsigned char*>(salted.data()));
    const auto without_proof = "c=" + b64(gs2 + cb) + ",r=" + full_nonce;
    auth = bare + "," + server_first + "," + without_proof;
    auto client_key = mac(salted, "Client Key");
    unsigned char stored[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(client_key.data(), client_key.size(), stored, &n, md, nullptr);
    auto signature = mac({reinterpret_cast<char*>(stored), n}, auth);
    for (std::size_t k = 0; k < client_key.size(); ++k) client_key[k] ^= signature[k];
    return without_proof + ",p=" + b64(client_key);
  }
  std::string server_final() const { return "v=" + b64(mac(mac(salted, "Server Key"), auth)); }
};

const channel_binding fake_cb{"exporter:0123456789abcdef0123456", "end-point:fedcba9876543210"};

sasl_options options(channel_binding cb = fake_cb) {
  sasl_options o;
  o.domain = "example.com";
  o.tls = true;
  o.cb = std::move(cb);
  return o;
}

std::vector<scram_credentials> account(std::string_view password = "pencil") {
  return {make_credentials(scram_hash::sha1, password, 4096),
          make_credentials(scram_hash::sha256, password, 4096)};
}

// Runs a whole exchange; server_first receives the challenge for inspection.
sasl_step run(sasl_mechanism& m, test_client& c,
              std::optional<std::vector<scram_credentials>> creds,
              std::string* server_first = nullptr) {
  auto s = m.start(c.first());
  if (s.k == sasl_step::need_credentials) s = m.set_credentials(std::move(creds));
  if (s.k != sasl_step::challenge) return s;
  if (server_first) *server_first = s.data;
  return m.step(c.final(s.data));
}

test_client client(scram_hash h, std::string password = "pencil") {
  test_client c;
  c.md = h == scram_hash::sha1 ? EVP_sha1() : EVP_sha256();
  c.user = "user";
  c.password = std::move(password);
  c.nonce = "fyko+d2lbbFgONRv9qkxdawL";
  return c;
}

sasl_step failure(sasl_failure why, std::string text = {}) {
  return sasl_step::make_failure(why, std::move(text));
}
const sasl_step not_authorized = failure(sasl_failure::not_authorized);

void rfc_exchange(scram_hash h, std::string_view cnonce, std::string_view snonce,
                  std::string_view salt, std::string_view proof, std::string_view verifier) {
  scram_server s(h, false, options({}), std::string(snonce));
  const std::string cn(cnonce), sn(snonce), sa(salt);
  EXPECT_EQ(s.start("n,,n=user,r=" + cn), sasl_step::make_need_credentials("user"));
  auto creds = derive_credentials(h, "pencil", *base64_decode(salt), 4096);
  EXPECT_EQ(s.set_credentials(std::vector{creds}),
            sasl_step::make_challenge("r=" + cn + sn + ",s=" + sa + ",i=4096"));
  EXPECT_EQ(s.step("c=biws,r=" + cn + sn + ",p=" + std::string(proof)),
            sasl_step::make_success("v=" + std::string(verifier)));
  EXPECT_EQ(s.authenticated_user(), "user");
}

TEST(scram_server, rfc5802_sha1_example_byte_for_byte) {
  rfc_exchange(scram_hash::sha1, "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
               "QSXCR+Q6sek8bf92", "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

TEST(scram_server, rfc7677_sha256_example_byte_for_byte) {
  rfc_exchange(scram_hash::sha256, "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
               "W22ZaJ0SNY7soEsUEjb6gQ==", "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
               "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(scram_server, round_trip_with_every_mechanism_and_binding) {
  struct want {
    const char* name;
    scram_hash h;
    const char* gs2;
    std::string cb;
  };
  for (const auto& w : std::initializer_list<want>{
           {"SCRAM-SHA-1", scram_hash::sha1, "n,,", ""},
           {"SCRAM-SHA-256", scram_hash::sha256, "n,,", ""},
           {"SCRAM-SHA-1-PLUS", scram_hash::sha1, "p=tls-exporter,,", fake_cb.tls_exporter},
           {"SCRAM-SHA-256-PLUS", scram_hash::sha256, "p=tls-exporter,,", fake_cb.tls_exporter},
           {"SCRAM-SHA-256-PLUS", scram_hash::sha256, "p=tls-server-end-point,,",
            fake_cb.tls_server_end_point},
       }) {
    SCOPED_TRACE(std::string(w.name) + " " + w.gs2);
    auto m = make_mechanism(w.name, options());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->name(), w.name);
    EXPECT_FALSE(m->requires_tls());
    auto c = client(w.h);
    c.gs2 = w.gs2;
    c.cb = w.cb;
    std::string server_first;
    auto s = run(*m, c, account(), &server_first);
    EXPECT_EQ(s, sasl_step::make_success(c.server_final()));
    EXPECT_EQ(m->authenticated_user(), "user");
    // Our nonce part: 24 random bytes in base64, fresh each time.
    auto ours = server_first.substr(2 + c.nonce.size(), 32);
    EXPECT_EQ(base64_decode(ours).value_or("").size(), 24u);
    EXPECT_EQ(server_first.substr(2 + c.nonce.size() + 32, 3), ",s=");
    EXPECT_EQ(m->step("c=biws"), failure(sasl_failure::malformed_request, "unexpected response"));
  }
}

TEST(scram_server, without_initial_response_sends_an_empty_challenge) {
  scram_server s(scram_hash::sha256, false, options());
  EXPECT_EQ(s.start(std::nullopt), sasl_step::make_challenge(""));
  auto c = client(scram_hash::sha256);
  EXPECT_EQ(s.step(c.first()), sasl_step::make_need_credentials("user"));
  auto challenge = s.set_credentials(account());
  auto done = s.step(c.final(challenge.data));  // before server_final(), which needs it
  EXPECT_EQ(done, sasl_step::make_success(c.server_final()));
}

TEST(scram_server, wrong_password_is_not_authorized) {
  scram_server s(scram_hash::sha256, false, options());
  auto c = client(scram_hash::sha256, "pencil2");
  EXPECT_EQ(run(s, c, account()), not_authorized);
  EXPECT_EQ(s.authenticated_user(), "");
}

TEST(scram_server, unknown_user_looks_like_a_wrong_password) {
  auto shape = [](const std::string& server_first) {  // all but the nonce and the salt
    return server_first.size() - server_first.find(",i=");
  };
  std::string real_first, unknown_first, again_first;
  scram_server real(scram_hash::sha1, false, options());
  auto c = client(scram_hash::sha1, "wrong");
  EXPECT_EQ(run(real, c, account(), &real_first), not_authorized);
  scram_server unknown(scram_hash::sha1, false, options());
  auto u = client(scram_hash::sha1);
  EXPECT_EQ(run(unknown, u, std::nullopt, &unknown_first), not_authorized);
  EXPECT_EQ(unknown_first.size(), real_first.size());
  EXPECT_EQ(shape(unknown_first), shape(real_first));
  // The decoy salt is stable for a name, or asking twice would tell.
  scram_server again(scram_hash::sha1, false, options());
  auto a = client(scram_hash::sha1);
  EXPECT_EQ(run(again, a, std::nullopt, &again_first), not_authorized);
  EXPECT_EQ(again_first.substr(again_first.find(",s=")),
            unknown_first.substr(unknown_first.find(",s=")));
  scram_server upper(scram_hash::sha1, false, options());  // prepares to the same account
  a.user = "USER";
  EXPECT_EQ(run(upper, a, std::nullopt, &again_first), not_authorized);
  EXPECT_EQ(again_first.substr(again_first.find(",s=")),
            unknown_first.substr(unknown_first.find(",s=")));
  // An account without credentials for this hash is just as unknown.
  scram_server other(scram_hash::sha256, false, options());
  auto o = client(scram_hash::sha256);
  EXPECT_EQ(run(other, o, std::vector{account()[0]}), not_authorized);
}

TEST(scram_server, y_flag_is_a_downgrade_when_plus_was_offered_and_strict) {
  auto strict = options();
  strict.refuse_cb_downgrade = true;
  scram_server offered(scram_hash::sha256, false, strict);
  auto c = client(scram_hash::sha256);
  c.gs2 = "y,,";
  EXPECT_EQ(run(offered, c, account()),
            failure(sasl_failure::not_authorized, "channel binding downgrade"));
  scram_server lenient(scram_hash::sha256, false, options());
  auto again = client(scram_hash::sha256);
  again.gs2 = "y,,";
  auto accepted = run(lenient, again, account());  // before server_final(), which needs it
  EXPECT_EQ(accepted, sasl_step::make_success(again.server_final()));
  scram_server plain_tls(scram_hash::sha256, false, options({}));
  auto done = run(plain_tls, c, account());
  EXPECT_EQ(done, sasl_step::make_success(c.server_final()));
}

TEST(scram_server, channel_binding_mismatch_is_not_authorized) {
  const auto mismatch = failure(sasl_failure::not_authorized, "channel binding mismatch");
  scram_server wrong_data(scram_hash::sha256, true, options());
  auto c = client(scram_hash::sha256);
  c.gs2 = "p=tls-exporter,,";
  c.cb = fake_cb.tls_server_end_point;
  EXPECT_EQ(run(wrong_data, c, account()), mismatch);
  scram_server wrong_header(scram_hash::sha256, true, options());
  auto first = wrong_header.start("p=tls-exporter,,n=user,r=abc");
  first = wrong_header.set_credentials(account());
  auto nonce = first.data.substr(2, first.data.find(',') - 2);
  EXPECT_EQ(wrong_header.step("c=biws,r=" + nonce + ",p=" + b64(std::string(32, 'x'))), mismatch);
}

TEST(scram_server, binding_flag_must_fit_the_mechanism) {
  auto first = [](bool plus, const std::string& gs2, channel_binding cb = fake_cb) {
    scram_server s(scram_hash::sha1, plus, options(cb));
    return s.start(gs2 + "n=user,r=abc");
  };
  const auto need = sasl_step::make_need_credentials("user");
  EXPECT_EQ(first(true, "n,,"),
            failure(sasl_failure::malformed_request, "-PLUS needs channel binding"));
  EXPECT_EQ(first(true, "y,,").why, sasl_failure::malformed_request);
  EXPECT_EQ(first(false, "p=tls-exporter,,"),
            failure(sasl_failure::malformed_request, "channel binding needs a -PLUS mechanism"));
  EXPECT_EQ(first(true, "p=tls-unique,,"),
            failure(sasl_failure::malformed_request, "unsupported channel binding type"));
  EXPECT_EQ(first(true, "p=tls-exporter,,", {"", "x"}).why, sasl_failure::malformed_request);
  EXPECT_EQ(first(true, "p=tls-server-end-point,,", {"x", ""}).why,
            sasl_failure::malformed_request);
  EXPECT_EQ(first(true, "p=tls_exporter,,").why, sasl_failure::malformed_request);
  EXPECT_EQ(first(true, "p=,,").why, sasl_failure::malformed_request);
  EXPECT_EQ(first(true, "p=tls-exporter,,"), need);
  EXPECT_EQ(first(false, "n,,"), need);
  EXPECT_EQ(first(false, "y,,", {}), need);
}

TEST(scram_server, bad_base64_is_incorrect_encoding) {
  for (std::string_view bad :
       {"c=biws,r=NONCE,p=!!!!", "c=bi,r=NONCE,p=dGVzdA==", "c=biws,r=NONCE,p=dGVzdA"}) {
    scram_server s(scram_hash::sha1, false, options(), "srv");
    s.start("n,,n=user,r=abc");
    s.set_credentials(account());
    std::string m(bad);
    m.replace(m.find("NONCE"), 5, "abcsrv");
    EXPECT_EQ(s.step(m), failure(sasl_failure::incorrect_encoding)) << bad;
  }
}

TEST(scram_server, malformed_client_first_messages) {
  for (std::string_view bad :
       std::initializer_list<std::string_view>{"",
                                               "n,,",
                                               "n,,n=user",
                                               "n,,r=abc",
                                               "n,,n=user,r=",
                                               "n,,n=,r=abc",
                                               "n,,m=ext,n=user,r=abc",  // mandatory extension
                                               "x,,n=user,r=abc",
                                               "n=,,n=user,r=abc",
                                               "n,b=x,n=user,r=abc",
                                               "n,a=,n=user,r=abc",
                                               "n,,n=us=2cer,r=abc",
                                               "n,,n=us=er,r=abc",
                                               "n,,n=user=2,r=abc",  // bad escapes
                                               "n,,n=user,r=abc,1=x",
                                               "n,,n=user,r=abc,=x",
                                               "n,,n=user,r=abc,",  // bad extensions
                                               "n,,r=abc,n=user",
                                               "n,,n=user,r=a\x01"
                                               "b",
                                               "n,,n=user,r=a\x80",
                                               std::string_view("n,,n=us\0er,r=abc", 16),
                                               "F,n,,n=user,r=abc"}) {
    scram_server s(scram_hash::sha1, false, options({}));
    EXPECT_EQ(s.start(bad).why, sasl_failure::malformed_request) << bad;
    EXPECT_EQ(s.start(bad).k, sasl_step::failure) << bad;
  }
}

TEST(scram_server, well_formed_extensions_are_ignored) {
  scram_server s(scram_hash::sha1, false, options(), "srv");
  EXPECT_EQ(s.start("n,,n=user,r=abc,x=1,Y=2"), sasl_step::make_need_credentials("user"));
  scram_server m(scram_hash::sha1, false, options(), "srv");  // but RFC 5802 5.1 reserves m=
  EXPECT_EQ(m.start("n,,m=x,n=user,r=abc"),
            failure(sasl_failure::malformed_request, "unsupported mandatory extension"));
}

TEST(scram_server, malformed_client_final_messages) {
  const std::string proof = ",p=" + b64(std::string(20, 'x'));
  for (const std::string& bad : std::initializer_list<std::string>{
           "c=biws,r=abcsrv", "r=abcsrv,c=biws" + proof, "c=biws" + proof,
           "c=biws,r=abcsrv" + proof + ",x=y", "c=biws,r=abcsrv,=1" + proof, "c=biws,m=x" + proof,
           "", "c=biws,r=abcsrv,p="}) {
    scram_server s(scram_hash::sha1, false, options({}), "srv");
    s.start("n,,n=user,r=abc");
    s.set_credentials(account());
    EXPECT_EQ(s.step(bad).why, sasl_failure::malformed_request) << bad;
  }
  for (std::string wrong_nonce : {"abc", "abcsrvx", "xbcsrv"}) {
    scram_server s(scram_hash::sha1, false, options({}), "srv");
    s.start("n,,n=user,r=abc");
    s.set_credentials(account());
    EXPECT_EQ(s.step("c=biws,r=" + wrong_nonce + proof),
              failure(sasl_failure::not_authorized, "nonce mismatch"));
  }
}

TEST(scram_server, user_names_are_unescaped_and_prepared) {
  auto needs = [](std::string_view first) {
    scram_server s(scram_hash::sha1, false, options({}));
    return s.start(first);
  };
  EXPECT_EQ(needs("n,,n=a=3Db=2Cc,r=x"), sasl_step::make_need_credentials("a=b,c"));
  EXPECT_EQ(needs("n,,n=I\xC2\xAD"
                  "X,r=x"),
            sasl_step::make_need_credentials("ix"));
  // Not a possible localpart: no store lookup, but the same outward path.
  auto s = needs("n,,n=a@b,r=x");
  EXPECT_EQ(s.k, sasl_step::challenge);
  EXPECT_EQ(s.data.find(",i=4096"), s.data.size() - 7);

  scram_server round(scram_hash::sha256, false, options({}));
  auto c = client(scram_hash::sha256);
  c.user = "Mr=Comma,";
  auto done = run(round, c, account());
  EXPECT_EQ(done, sasl_step::make_success(c.server_final()));
  EXPECT_EQ(round.authenticated_user(), "mr=comma,");
}

TEST(scram_server, authzid_must_be_the_users_bare_jid) {
  auto with = [](const std::string& authzid) {
    scram_server s(scram_hash::sha256, false, options({}));
    auto c = client(scram_hash::sha256);
    c.gs2 = "n," + authzid + ",";
    return run(s, c, account());
  };
  EXPECT_EQ(with("a=user@example.com").k, sasl_step::success);
  EXPECT_EQ(with("a=USER@Example.COM").k, sasl_step::success);
  const auto invalid = failure(sasl_failure::invalid_authzid);
  EXPECT_EQ(with("a=other@example.com"), invalid);
  EXPECT_EQ(with("a=user@example.com/phone"), invalid);
  EXPECT_EQ(with("a=user"), invalid);
  EXPECT_EQ(with("a=user@example.org"), invalid);
}

TEST(scram_server, calls_out_of_order_fail) {
  scram_server s(scram_hash::sha1, false, options());
  EXPECT_EQ(s.step("n,,n=user,r=abc").why, sasl_failure::malformed_request);
  scram_server t(scram_hash::sha1, false, options());
  EXPECT_EQ(t.set_credentials(account()).k, sasl_step::failure);
  scram_server u(scram_hash::sha1, false, options());
  u.start("n,,n=user,r=abc");
  EXPECT_EQ(u.start("n,,n=user,r=abc").k, sasl_step::failure);
  EXPECT_EQ(u.set_credentials(account()).k, sasl_step::failure);  // the exchange is over
}

}  // namespace
}  // namespace ofs::auth
