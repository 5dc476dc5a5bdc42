#include "http/route_table.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cctype>

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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

request_context context_of(const boost::asio::ip::tcp::socket& socket, bool tls) {
  request_context c;
  c.tls = tls;
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  c.remote = ec ? "unknown" : remote.address().to_string();
  c.loopback = !ec && remote.address().is_loopback();
  return c;
}

bool origin_allowed(const request& req, bool from_loopback, const std::vector<std::string>& allowed) {
  auto it = req.find(boost::beast::http::field::origin);
  if (it == req.end()) return true;
  if (allowed.empty()) return from_loopback;
  std::string_view origin = trim(it->value());
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& o) { return o == "*" || iequals(o, origin); });
}

void route_table::add(std::string prefix, handler h) {
  routes_.push_back({normalized(std::move(prefix)), std::move(h)});
}

const handler* route_table::find(std::string_view target) const {
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

void route_table::add_stream(std::string prefix, stream_filter accepts, upgrade_handler h) {
  streams_.push_back({normalized(std::move(prefix)), std::move(accepts), std::move(h)});
}

const upgrade_handler* route_table::find_stream(const request& req) const {
  const auto* r = longest_match(streams_, req.target());
  return r && r->accepts(req) ? &r->fn : nullptr;
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
