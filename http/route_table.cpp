#include "http/route_table.hpp"

#include <boost/beast/http/field.hpp>

namespace ofs::http {

void route_table::add(std::string prefix, handler h) {
  if (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  routes_.push_back({std::move(prefix), std::move(h)});
}

const handler* route_table::find(std::string_view target) const {
  std::string_view path = target.substr(0, target.find('?'));
  const route* best = nullptr;
  for (const auto& r : routes_) {
    bool matches =
        path == r.prefix || r.prefix == "/" || (path.starts_with(r.prefix) && path[r.prefix.size()] == '/');
    if (matches && (!best || r.prefix.size() > best->prefix.size())) best = &r;
  }
  return best ? &best->fn : nullptr;
}

response make_response(const request& req, boost::beast::http::status status, std::string body,
                       std::string_view content_type) {
  response res(status, req.version());
  res.set(boost::beast::http::field::content_type, content_type);
  res.body() = std::move(body);
  if (!res.body().empty() && res.body().back() != '\n' && content_type.starts_with("text/plain"))
    res.body().push_back('\n');
  res.keep_alive(req.keep_alive());
  return res;
}

}  // namespace ofs::http
