#include "xcap/http_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "server/auth/base64.hpp"
#include "server/login/login.hpp"

namespace ofs::xcap {
namespace {

constexpr auto nonce_lifetime = std::chrono::minutes(5);

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string hash_hex(const EVP_MD* md, std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), out, &n, md, nullptr);
  return hex(out, n);
}

const EVP_MD* digest_of(std::string_view algorithm) {
  if (algorithm.empty() || algorithm == "MD5") return EVP_md5();
  if (algorithm == "SHA-256") return EVP_sha256();
  return nullptr;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// auth-param list: name=token or name="quoted string" separated by commas (RFC 7235 2.1).
std::optional<std::map<std::string, std::string>> parse_params(std::string_view s) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
  };
  for (skip(); i < s.size(); skip()) {
    auto eq = s.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name(s.substr(i, eq - i));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    i = eq + 1;
    while (i < s.size() && s[i] == ' ') ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i];
      }
      if (i >= s.size()) return std::nullopt;
      ++i;
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != ' ') value += s[i++];
    }
    if (out.size() > 16 || value.size() > 1024) return std::nullopt;
    out[std::move(name)] = std::move(value);
  }
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string digest_secrets(const core::jid& account, std::string_view password) {
  const std::string a1 = account.bare_str() + ":" + account.domain() + ":" + std::string(password);
  return "MD5 " + hash_hex(EVP_md5(), a1) + "\nSHA-256 " + hash_hex(EVP_sha256(), a1) + "\n";
}

http_auth::http_auth(storage::store& store, auth::kdf_pool& kdf, std::vector<std::string> domains)
    : store_(store), kdf_(kdf), domains_(std::move(domains)) {
  unsigned char key[32];
  RAND_bytes(key, sizeof key);
  secret_.assign(reinterpret_cast<char*>(key), sizeof key);
}

std::string http_auth::make_nonce() const {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::string stamp = std::to_string(now);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size(), mac, &n);
  return stamp + "-" + hex(mac, 16);
}

bool http_auth::nonce_fresh(std::string_view nonce) const {
  auto dash = nonce.find('-');
  if (dash == std::string_view::npos || dash > 20) return false;
  const std::string stamp(nonce.substr(0, dash));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size(), mac, &n);
  if (!same(nonce.substr(dash + 1), hex(mac, 16))) return false;
  long long issued = 0;
  try {
    issued = std::stoll(stamp);
  } catch (const std::exception&) {
    return false;
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return now >= issued && now - issued <= std::chrono::seconds(nonce_lifetime).count();
}

std::vector<std::string> http_auth::challenges(bool basic_allowed, bool stale) const {
  const std::string realm = domains_.empty() ? "localhost" : domains_.front();
  const std::string common =
      "realm=\"" + realm + "\", qop=\"auth\", nonce=\"" + make_nonce() + "\"" + (stale ? ", stale=true" : "");
  std::vector<std::string> out{"Digest " + common + ", algorithm=SHA-256",
                               "Digest " + common + ", algorithm=MD5"};
  if (basic_allowed) out.push_back("Basic realm=\"" + realm + "\", charset=\"UTF-8\"");
  return out;
}

boost::asio::awaitable<auth_outcome> http_auth::check(auth_request r) const {
  auto space = r.authorization.find(' ');
  const auto scheme = r.authorization.substr(0, space);
  const auto rest = space == std::string_view::npos ? std::string_view() : r.authorization.substr(space + 1);
  if (r.authorization.empty()) co_return auth_outcome{{}, false, "authentication required"};
  if (iequals(scheme, "Basic")) {
    if (!r.basic_allowed)
      co_return auth_outcome{{}, false, "Basic authentication only over HTTPS; use Digest or HTTPS"};
    co_return co_await check_basic(rest);
  }
  if (iequals(scheme, "Digest")) co_return co_await check_digest(rest, r.method, r.target);
  co_return auth_outcome{{}, false, "unsupported authentication scheme"};
}

boost::asio::awaitable<auth_outcome> http_auth::check_basic(std::string_view credentials) const {
  auto decoded = auth::base64_decode(credentials);
  if (!decoded) co_return auth_outcome{{}, false, "malformed Basic credentials"};
  auto colon = decoded->find(':');
  if (colon == std::string::npos) co_return auth_outcome{{}, false, "malformed Basic credentials"};
  auto user = core::jid::parse(decoded->substr(0, colon));
  std::string password = decoded->substr(colon + 1);
  OPENSSL_cleanse(decoded->data(), decoded->size());
  if (!user || user->node().empty() ||
      std::find(domains_.begin(), domains_.end(), user->domain()) == domains_.end())
    co_return auth_outcome{{}, false, "the user name is the account's bare JID (user@domain)"};
  const std::string secrets = digest_secrets(user->bare(), password);
  auto check = login::check_password(store_, kdf_, user->domain(), user->node(), std::move(password));
  auto checked = co_await std::move(check);
  if (!checked.account) {
    const bool temporary = checked.why == auth::sasl_failure::temporary_auth_failure;
    co_return auth_outcome{{}, temporary, temporary ? "try again later" : "wrong user name or password"};
  }
  // Now that the password is known, Digest can work for this account too.
  auto stored = store_.get_private(*checked.account, std::string(digest_key));
  auto have = co_await std::move(stored);
  if (have && (!*have || **have != secrets)) {
    auto put = store_.put_private(*checked.account, std::string(digest_key), secrets);
    co_await std::move(put);
  }
  co_return auth_outcome{checked.account, false, {}};
}

boost::asio::awaitable<auth_outcome> http_auth::check_digest(std::string_view text, std::string_view method,
                                                             std::string_view target) const {
  auto p = parse_params(text);
  if (!p) co_return auth_outcome{{}, false, "malformed Digest credentials"};
  auto& m = *p;
  const EVP_MD* md = digest_of(m["algorithm"]);
  if (!md) co_return auth_outcome{{}, false, "unsupported Digest algorithm (SHA-256 or MD5)"};
  if (m["qop"] != "auth" || m["nc"].empty() || m["cnonce"].empty())
    co_return auth_outcome{{}, false, "Digest needs qop=auth, nc and cnonce"};
  if (m["uri"] != target) co_return auth_outcome{{}, false, "the Digest uri is not the request's"};
  auto user = core::jid::parse(m["username"]);
  if (!user || user->node().empty() || m["realm"] != user->domain())
    co_return auth_outcome{{}, false, "the Digest username is the bare JID and the realm its domain"};
  if (!nonce_fresh(m["nonce"])) co_return auth_outcome{{}, false, "stale nonce"};
  auto stored = store_.get_private(user->bare(), std::string(digest_key));
  auto secrets = co_await std::move(stored);
  if (!secrets) co_return auth_outcome{{}, true, "try again later"};
  const std::string label = md == EVP_md5() ? "MD5 " : "SHA-256 ";
  std::string ha1;
  if (*secrets) {
    auto at = (*secrets)->find(label);
    if (at != std::string::npos)
      ha1 = (*secrets)->substr(at + label.size(), (*secrets)->find('\n', at) - at - label.size());
  }
  const std::string ha2 = hash_hex(md, std::string(method) + ":" + std::string(target));
  const std::string expected =
      hash_hex(md, ha1 + ":" + m["nonce"] + ":" + m["nc"] + ":" + m["cnonce"] + ":auth:" + ha2);
  if (ha1.empty() || !same(expected, m["response"]))
    co_return auth_outcome{{},
                           false,
                           ha1.empty() ? "no Digest credentials for this account yet: set its password again "
                                         "(ofsctl passwd) or log in once with Basic over HTTPS"
                                       : "wrong user name or password"};
  co_return auth_outcome{user->bare(), false, {}};
}

}  // namespace ofs::xcap
