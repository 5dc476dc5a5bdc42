#pragma once
// The server's configuration: one TOML file (etc/ofs.toml documents every key), every option
// with a default so that no file at all is the embedded default. ofsd and ofsctl read the same.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/muc/service_config.hpp"

namespace ofs::app {

struct listener_config {
  bool enabled = true;
  std::uint16_t port = 0;  // 0: any free port (tests)
};

struct config {
  std::filesystem::path source;                    // the file read; empty for the embedded default
  std::map<std::string, std::string> file_values;  // what the file sets, by dotted key (reload compares)

  // [server]
  std::vector<std::string> domains{"localhost"};
  std::filesystem::path data_dir = "var";
  unsigned threads = 0;  // 0: one per core
  // The scheduling slice asked for each I/O thread (Linux 6.12+), in µs; 0: the kernel's.
  unsigned scheduler_slice_us = 0;
  bool thread_affinity = false;   // each connection on one I/O thread (io_context per thread)
  bool park_idle_threads = true;  // without affinity: threads past the first wait while idle

  // [log]
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  std::string log_file;             // empty: standard error

  // [storage]
  std::string storage_url;  // empty: sqlite:<data_dir>/ofs.db
  unsigned storage_pool_size = 4;
  std::chrono::seconds storage_connect_timeout{5};

  // [tls]
  std::filesystem::path tls_certificate;  // empty: generated in <data_dir>/tls/
  std::filesystem::path tls_private_key;
  int tls_expiry_warning_days = 14;  // checked at start, daily and at each reload

  // [listen]
  std::string listen_address = "0.0.0.0";
  listener_config http{true, 5280};
  listener_config https{true, 5281};
  listener_config c2s{true, 5222};      // STARTTLS
  listener_config c2s_tls{true, 5223};  // direct TLS (XEP-0368)

  // [c2s]
  bool require_tls = true;
  bool allow_plain_on_loopback = false;  // PLAIN without TLS from 127.0.0.1/::1 (load tools)
  unsigned max_auth_failures = 3;
  bool refuse_cb_downgrade = false;  // SCRAM's "y" flag while -PLUS is offered
  std::chrono::seconds hibernate_after{2};
  bool stream_management = true;             // XEP-0198
  std::chrono::seconds resume_timeout{300};  // 0: no resumption
  std::size_t max_unacked = 1000;            // past it the session ends
  std::size_t ack_request_every = 5;         // stanzas, then <r/>
  std::chrono::seconds ack_request_delay{5};

  // [im]
  std::size_t offline_quota = 1000;
  std::size_t multicast_max_recipients = 50;  // XEP-0033
  bool registration = false;
  unsigned registrations_per_ip_hour = 5;
  std::size_t max_queued_per_user = 1000;    // IM work waiting per account; past it: bounced
  std::size_t max_queued_per_shard = 20000;  // the same over the accounts of one shard

  // [archive]: XEP-0313 message archive of one-to-one messages
  bool archive_enabled = true;
  unsigned archive_retention_days = 0;  // 0: kept until the user or account deletes them
  std::size_t archive_max_page = 100;
  std::string archive_default = "always";  // always, never or roster (XEP-0441)

  // [limits]
  std::size_t max_stanza_bytes = 256 * 1024;
  unsigned max_connections = 10000;
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds shutdown_timeout{3};
  std::size_t max_http_header_bytes = 16 * 1024;
  std::size_t max_http_body_bytes = 1024 * 1024;
  std::chrono::seconds http_request_timeout{30};
  std::chrono::seconds http_idle_timeout{60};
  unsigned kdf_workers = 0;     // PBKDF2 threads; 0: one per core
  std::size_t kdf_queue = 256;  // derivations that may wait for one

  // [auth]
  std::uint32_t scram_iterations = 4096;

  // [websocket]: XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the HTTP(S) ports
  std::vector<std::string> websocket_allowed_origins;  // empty: any Origin, from loopback only
  std::string websocket_see_other_uri;                 // set: every stream is sent there
  bool websocket_allow_plain_http_logins = false;      // ws:// logins from other hosts

  // [control]: ofsctl's local socket into the running server
  std::filesystem::path control_socket = "ofsd.sock";  // relative: below data_dir; empty: none

  // [http]
  bool serve_web_root = true;                 // false: nothing at "/" but the routes of the features
  std::filesystem::path web_root;             // empty: found next to ofsd (find_web_root)
  std::chrono::seconds web_cache_max_age{0};  // 0: "no-cache" (browsers revalidate)
  std::string public_url;                     // set: host-meta's URLs are below it (behind a proxy)

  // [bosh]: XMPP over BOSH (XEP-0124, XEP-0206) at /http-bind on the HTTP(S) ports
  std::chrono::seconds bosh_max_wait{60};
  unsigned bosh_max_hold = 1;
  unsigned bosh_max_requests = 2;
  std::chrono::seconds bosh_max_inactivity{60};
  std::chrono::seconds bosh_max_pause{120};
  std::chrono::seconds bosh_polling{2};
  std::size_t bosh_max_buffered_bytes = 1 << 20;
  std::optional<std::vector<std::string>> bosh_allowed_origins;  // unset: [websocket]'s list
  bool bosh_allow_plain_http_logins = false;                     // http:// logins from other hosts

  // [widget]: the web chat widget's login tokens (HT-SHA-256-NONE over WebSocket and BOSH)
  bool widget_tokens = true;
  std::chrono::seconds widget_token_lifetime{8 * 3600};

  // [anonymous]: visitors (SASL ANONYMOUS) on a domain of their own
  std::string anonymous_domain;                  // empty: no visitors; else one of [server] domains
  unsigned anonymous_logins_per_ip_minute = 10;  // 0: no limit
  // [xcap]: XCAP (RFC 4825) at /xcap-root on the HTTP(S) ports
  bool xcap_enabled = true;
  std::string xcap_roster_document = "buddies";  // the resource-list that is the roster
  std::size_t xcap_max_document_bytes = 256 * 1024;
  bool xcap_allow_plain_http_logins = false;  // Basic over http:// from other hosts
  // [sis]: the status image server at /sis on the HTTP(S) ports
  bool sis_enabled = true;
  std::chrono::seconds sis_max_age{10};
  std::size_t sis_cache_bytes = 8 * 1024 * 1024;
  bool sis_public_by_default = false;             // anonymous viewers see users who did not opt out
  std::filesystem::path sis_token_key_file;       // empty: <data_dir>/sis-token.key
  std::chrono::seconds sis_token_lifetime{3600};  // ofsctl sis-token's default
  std::chrono::seconds sis_rules_refresh{5};      // privacy facts read again after this
  // [muc]: the multi-user chat service; its domain is resolved (conference.<first domain>)
  muc::service_config muc;

  std::string effective_storage_url() const;
  std::filesystem::path effective_control_socket() const;  // empty when turned off
  std::filesystem::path effective_sis_token_key_file() const;
};

// Reads a config file. On failure, the error is one line naming the file, line and key.
struct config_result {
  std::optional<config> value;
  std::string error;
};
config_result load_config(const std::filesystem::path& file);
config_result parse_config(std::string_view toml_text, const std::string& source_name);

// The web root when [http] web_root is not set: <prefix>/share/ofs/web beside an installed
// <prefix>/bin/ofsd, else the source tree's web/ for a build/<dir>/ofsd; empty when neither is.
std::filesystem::path find_web_root();

// Where an installed server's configuration lives (<sysconfdir>/ofs/ofs.toml).
std::filesystem::path system_config_path();
// $OFS_CONFIG, else ./ofs.toml, else the system configuration, the first that exists;
// nullopt: the embedded default. (--config FILE comes before all of these.)
std::optional<std::filesystem::path> default_config_path();
// The same order, for --help texts.
std::string config_search_order();

}  // namespace ofs::app
