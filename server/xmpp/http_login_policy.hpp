#pragma once
// Session settings for streams carried over HTTP (WebSocket, BOSH), which cannot start TLS of
// their own: over HTTPS, from loopback or when configured (allow_plain_http_logins) logins are
// allowed; otherwise require_tls keeps SASL from being offered or accepted. Read-only.
#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {

class http_login_policy {
public:
  http_login_policy(const stream_driver_options& base, bool allow_plain_http_logins)
      : secure_(base), plain_(base), allow_plain_(allow_plain_http_logins) {
    secure_.c2s.require_tls = false;  // TLS, loopback or allowed by configuration
    plain_.c2s.require_tls = true;    // no TLS can start inside HTTP: no login
  }
  const stream_driver_options& options(bool tls, bool loopback) const {
    return tls || loopback || allow_plain_ ? secure_ : plain_;
  }

private:
  stream_driver_options secure_, plain_;
  bool allow_plain_;
};

}  // namespace ofs::xmpp
