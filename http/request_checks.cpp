#include "http/request_checks.hpp"

#include <boost/beast/core/string.hpp>

namespace ofs::http {
namespace bhttp = boost::beast::http;
using bhttp::field;
using bhttp::status;

std::optional<rejection> check_request(const bhttp::fields& fields, bhttp::verb method, unsigned version) {
  if (method == bhttp::verb::connect) return rejection{status::not_implemented, "CONNECT is not supported"};
  if (method == bhttp::verb::unknown) return rejection{status::not_implemented, "Unknown method"};
  const auto hosts = fields.count(field::host);
  if (version >= 11 && hosts == 0) return rejection{status::bad_request, "A Host header is required"};
  if (hosts > 1) return rejection{status::bad_request, "More than one Host header"};
  for (const auto& f : fields) {
    // Beast unfolds obs-fold lines into the value; RFC 9112 5.2 lets a server reject them.
    auto v = f.value();
    if (v.find('\r') != v.npos || v.find('\n') != v.npos)
      return rejection{status::bad_request, "Folded header lines (obs-fold) are not accepted"};
  }
  const auto encodings = fields.count(field::transfer_encoding);
  if (encodings > 0) {
    if (fields.count(field::content_length) > 0)
      return rejection{status::bad_request, "Content-Length and Transfer-Encoding together"};
    if (version < 11) return rejection{status::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
    if (encodings > 1 || !boost::beast::iequals(fields[field::transfer_encoding], "chunked"))
      return rejection{
          status::not_implemented,
          "Transfer-Encoding " + std::string(fields[field::transfer_encoding]) + " is not supported"};
  }
  return std::nullopt;
}

}  // namespace ofs::http
