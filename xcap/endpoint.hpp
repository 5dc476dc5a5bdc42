#pragma once
// The XCAP server (RFC 4825) that the HTTP(S) listeners mount at /xcap-root: URI checks,
// authentication and authorization (a user reads and writes only users/<own bare JID>/, the
// global tree is read-only), then the request runs on the user's IM shard
// (document_service.hpp). Built once at start-up; its handler may run on any thread.
#include <boost/asio/awaitable.hpp>

#include "http/route_table.hpp"
#include "xcap/http_auth.hpp"
#include "xcap/options.hpp"

namespace ofs::im {
class service;
}

namespace ofs::xcap {

struct reply;

class endpoint {
public:
  endpoint(im::service& im, options opts);
  // Empty, or why the endpoint cannot serve (its schemas did not compile).
  std::string start_error() const;
  boost::asio::awaitable<http::response> handle(http::request req, http::request_context ctx);

private:
  http::response respond(const http::request& req, const reply& r) const;
  http::response unauthorized(const http::request& req, bool basic_allowed, std::string why) const;
  std::string caps_document() const;

  im::service& im_;
  options options_;
  http_auth auth_;
};

}  // namespace ofs::xcap
