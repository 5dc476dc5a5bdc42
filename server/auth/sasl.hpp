#pragma once
// Server side of SASL for XMPP c2s (RFC 6120 section 6, RFC 4422): the mechanism interface
// and the factory. Pure protocol logic without I/O: the c2s session owns the XML and base64
// framing and fetches credentials from the store when a mechanism asks for them.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth/channel_binding.hpp"
#include "server/auth/scram.hpp"

namespace ofs::auth {

// The <failure/> conditions of RFC 6120 section 6.5.
enum class sasl_failure {
  aborted,
  account_disabled,
  credentials_expired,
  encryption_required,
  incorrect_encoding,
  invalid_authzid,
  invalid_mechanism,
  malformed_request,
  mechanism_too_weak,
  not_authorized,
  temporary_auth_failure,
};
std::string_view to_string(sasl_failure f);  // the element name: "not-authorized", ...

// What the session does next. Payloads are raw bytes; the session base64-encodes them.
struct sasl_step {
  enum kind { challenge, success, failure, need_credentials };
  kind k = failure;
  // challenge: the challenge; success: additional data (SCRAM's server-final, else empty);
  // need_credentials: the prepared localpart whose credentials the session must fetch; empty
  // when no account can match (the session answers set_credentials(nullopt) at once).
  std::string data;
  sasl_failure why = sasl_failure::not_authorized;  // failure only
  std::string text;  // failure only, may be empty; never says whether the account exists

  static sasl_step make_challenge(std::string d) { return {challenge, std::move(d), {}, {}}; }
  static sasl_step make_success(std::string d = {}) { return {success, std::move(d), {}, {}}; }
  static sasl_step make_failure(sasl_failure why, std::string text = {}) {
    return {failure, {}, why, std::move(text)};
  }
  static sasl_step make_need_credentials(std::string user) {
    return {need_credentials, std::move(user), {}, {}};
  }
  friend bool operator==(const sasl_step&, const sasl_step&) = default;
};

// One exchange, driven by one c2s session on its strand; not reusable. The loop:
//   step = m->start(initial); while step is challenge or need_credentials:
//     challenge: send it, step = m->step(<response/> payload)
//     need_credentials: step = m->set_credentials(co_await store.get_credentials(user@host)),
//       on the kdf_pool when m->derives_keys()
// On <abort/> or a storage error the session answers aborted / temporary-auth-failure itself
// and drops the mechanism. After success or failure every call returns a failure.
class sasl_mechanism {
public:
  virtual ~sasl_mechanism() = default;
  virtual std::string_view name() const = 0;
  // Sends the password in the clear: the session must not accept it without TLS.
  virtual bool requires_tls() const = 0;
  // The decoded <auth/> payload; nullopt when the element had no text (no initial response:
  // the answer is an empty challenge). RFC 6120's "=" is an empty, present response.
  virtual sasl_step start(std::optional<std::string_view> initial_response) = 0;
  virtual sasl_step step(std::string_view response) = 0;  // a decoded <response/>
  // Answers need_credentials; nullopt means no such account.
  virtual sasl_step set_credentials(std::optional<std::vector<scram_credentials>> creds) = 0;
  // set_credentials derives a key from the password (PBKDF2, up to a million iterations):
  // the session runs it on the kdf_pool, with nothing else touching the mechanism meanwhile.
  // SCRAM only compares stored keys there (microseconds) and stays on the I/O thread.
  virtual bool derives_keys() const { return false; }
  // The prepared localpart the client named ("" before it did), for logs.
  virtual const std::string& username() const = 0;
  // The authenticated localpart after success, "" otherwise.
  virtual const std::string& authenticated_user() const = 0;
};

// What one stream offers; mechanisms() and make_mechanism() read the same struct so that
// what is accepted is exactly what was advertised.
struct sasl_options {
  std::string domain;                    // the stream's host: accounts are user@domain
  bool tls = false;                      // the stream is encrypted
  bool allow_plain_without_tls = false;  // configuration; off by default
  channel_binding cb;                    // from the TLS layer; empty: no -PLUS
  // RFC 5802 says a "y" flag after -PLUS was offered is a downgrade and must fail.
  // COMPAT: clients whose only binding type is tls-unique (slixmpp 1.8, older Gajim and
  // Psi) cannot bind on TLS 1.3 and send "y", so by default "y" is taken like "n"; the
  // XEP-0440 stream feature tells capable clients which types we have.
  bool refuse_cb_downgrade = false;
  bool anonymous = false;  // a visitors' domain: ANONYMOUS (RFC 4505), no passwords
  bool token = false;      // the widget's token mechanism (HT-SHA-256-NONE, see login/widget_tokens)

  bool plus_offered() const { return tls && cb.available(); }
  bool plain_offered() const { return tls || allow_plain_without_tls; }
};

inline constexpr std::string_view token_mechanism = "HT-SHA-256-NONE";  // XEP-0484's naming

// Mechanism names to advertise, strongest first.
std::vector<std::string> mechanisms(bool tls, bool channel_binding_available, bool allow_plain_without_tls);
std::vector<std::string> mechanisms(const sasl_options& o);
// nullptr for a name that mechanisms(o) does not list: answer invalid-mechanism.
std::unique_ptr<sasl_mechanism> make_mechanism(std::string_view name, const sasl_options& o);

// Shared by the mechanisms.
// SASLprep, then nodeprep (XMPP's simple user name is the localpart, RFC 6120 6.3.8).
std::optional<std::string> prepare_username(std::string_view name);
// An empty authzid, or one naming the authenticated bare JID, is allowed.
bool authzid_allowed(std::string_view authzid, std::string_view user, std::string_view domain);
// The entry of creds for hash h, if it is usable (see derive_credentials' limits).
const scram_credentials* find_credentials(const std::vector<scram_credentials>& creds, scram_hash h);
// Plausible credentials for an account that does not exist: the same for the same name while
// the process lives (a per-process secret keys them), and never matching any password.
scram_credentials decoy_credentials(scram_hash h, std::string_view name);
bool same_bytes(std::string_view a, std::string_view b);  // constant time for equal sizes

}  // namespace ofs::auth
