#pragma once
// XEP-0156 connection discovery: /.well-known/host-meta (XRD) and host-meta.json (JRD) list
// the WebSocket and BOSH endpoints. Their URLs are below the configured public URL, or else
// made of the request's Host and the listeners' ports. Shared by every connection; the ports
// are set once the listeners are bound.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/route_table.hpp"

namespace ofs::http {

struct host_meta_options {
  std::string public_url;  // "https://chat.example.com[/path]", no trailing slash; empty: derived
  bool allow_plain_http_logins = false;  // as [websocket]: plain URLs are listed to anyone over HTTP
};

struct alt_connection {
  std::string rel;  // urn:xmpp:alt-connections:websocket | urn:xmpp:alt-connections:xbosh
  std::string href;
};

// The host of a Host header ("example.com", "[::1]"), without its port; nullopt unless it is
// a plain DNS name or IP literal with an optional port (nothing else reaches a document).
std::optional<std::string> host_of(std::string_view host_header);
// A public URL as [http] public_url takes it: http(s)://host[:port][/path], no query.
bool valid_public_url(std::string_view url);

std::string to_xrd(const std::vector<alt_connection>& links);
std::string to_jrd(const std::vector<alt_connection>& links);

class host_meta {
public:
  explicit host_meta(host_meta_options options) : options_(std::move(options)) {}
  // 0: that listener is off. Called once each listener is bound.
  void set_ports(std::uint16_t http, std::uint16_t https) {
    http_port_ = http;
    https_port_ = https;
  }
  // The secure endpoints (wss://, https://) when HTTPS is on; the plain ones too when asked
  // over plain HTTP by a client that may log in over it (loopback, or allow_plain_http_logins).
  std::vector<alt_connection> links(const std::string& host, const request_context& info) const;
  response serve(const request& req, const request_context& info, bool json) const;

private:
  host_meta_options options_;
  std::atomic<std::uint16_t> http_port_{0}, https_port_{0};
};

}  // namespace ofs::http
