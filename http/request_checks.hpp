#pragma once
// RFC 9112 strictness on top of Beast's parser, checked once the header is read and before
// any body: what a request may not be, and the status that says so.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <optional>
#include <string>

namespace ofs::http {

struct rejection {
  boost::beast::http::status status;
  std::string reason;  // the body of the answer
};

// Host missing or repeated, obs-fold lines, CONNECT and unknown methods, a Transfer-Encoding
// other than chunked, Content-Length beside Transfer-Encoding.
std::optional<rejection> check_request(const boost::beast::http::fields& fields,
                                       boost::beast::http::verb method, unsigned version);

}  // namespace ofs::http
