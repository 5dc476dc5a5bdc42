#include "http/route_table.hpp"

#include <boost/beast/http/field.hpp>

namespace ofs::http {

namespace {

std::string normalized(std::string prefix) {
  if (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

// The route of the longest prefix that matches target's path, or nullptr.
template <class Route>
const Route* longest_match(const std::vector<Route>& routes, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  const Route* best = nullptr;
  for (const auto& r : routes) {
    bool matches =
        path == r.prefix || r.prefix == "/" || (path.starts_with(r.prefix) && path[r.prefix.size()] == '/');
    if (matches && (!best || r.prefix.size() > best->prefix.size())) best = &r;
  }
  return best;
}

}  // namespace

void route_table::add(std::string prefix, handler h) {
  add(std::move(prefix), [h = std::move(h)](request req, connection_info) { return h(std::move(req)); });
}

void route_table::add(std::string prefix, handler_with_info h) {
  routes_.push_back({normalized(std::move(prefix)), std::move(h)});
}

const handler_with_info* route_table::find(std::string_view target) const {
  const auto* r = longest_match(routes_, target);
  return r ? &r->fn : nullptr;
}

void route_table::add_upgrade(std::string prefix, upgrade_handler h) {
  upgrades_.push_back({normalized(std::move(prefix)), std::move(h)});
}

const upgrade_handler* route_table::find_upgrade(std::string_view target) const {
  const auto* r = longest_match(upgrades_, target);
  return r ? &r->fn : nullptr;
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
