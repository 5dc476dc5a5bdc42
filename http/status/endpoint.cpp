#include "http/status/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

namespace ofs::http::status {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

bool is_served(const std::vector<std::string>& domains, const std::string& domain) {
  return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

// If-None-Match with the weak comparison RFC 9110 13.1.2 asks for.
bool none_match(const request& req, std::string_view etag) {
  auto it = req.find(bhttp::field::if_none_match);
  if (it == req.end()) return false;
  std::string_view h = it->value();
  while (!h.empty()) {
    while (!h.empty() && (h.front() == ' ' || h.front() == ',' || h.front() == '\t')) h.remove_prefix(1);
    if (h.empty()) break;
    if (h.front() == '*') return true;
    if (h.starts_with("W/")) h.remove_prefix(2);
    auto end = h.find('"', 1);
    if (h.front() != '"' || end == h.npos) return false;
    if (h.substr(0, end + 1) == etag) return true;
    h.remove_prefix(end + 1);
  }
  return false;
}

// A JSON string, safe inside HTML too (<, >, & and the JavaScript line breaks escaped).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    char buf[8];
    if (c == '"' || c == '\\')
      out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == '<' || c == '>' || c == '&')
      std::snprintf(buf, sizeof buf, "\\u%04x", c), out += buf;
    else if (c == 0xe2 && i + 2 < s.size() && s[i + 1] == '\x80' &&
             (s[i + 2] == '\xa8' || s[i + 2] == '\xa9'))
      out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029", i += 2;
    else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@')
      out += static_cast<char>(c);
    else
      out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

// On the drawing pool; its caller resumes on its own executor.
asio::awaitable<image_ptr> draw_on(image_cache& cache, render::snapshot s, render::options o) {
  co_return cache.get(s, o);
}

std::string bearer_token(const request& req) {
  auto it = req.find(bhttp::field::authorization);
  if (it == req.end()) return {};
  std::string_view v = it->value();
  return v.size() > 7 && (v.starts_with("Bearer ") || v.starts_with("bearer ")) ? std::string(v.substr(7))
                                                                                : "";
}

}  // namespace

void common_headers(response& res, std::chrono::seconds max_age, bool with_token) {
  // A token's answer is that viewer's: shared caches must not hand it to others.
  res.set(bhttp::field::cache_control,
          std::string(with_token ? "private" : "public") + ", max-age=" + std::to_string(max_age.count()));
  res.set(bhttp::field::vary, "Authorization");
  res.set(bhttp::field::access_control_allow_origin, "*");
  res.set("X-Content-Type-Options", "nosniff");
}

endpoint::endpoint(core::session_registry& sessions, storage::store& store, token_key key, sis_options o)
    : sessions_(sessions),
      store_(store),
      key_(std::move(key)),
      options_(std::move(o)),
      images_(options_.cache_bytes),
      draw_pool_(std::max(1u, options_.draw_threads)) {}

bool endpoint::is_events(const request& req) {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  return req.method() == bhttp::verb::get && path.ends_with("/events");
}

endpoint::checked endpoint::check(const request& req) const {
  checked out;
  auto parsed = parse_target(req.target(), options_.mount);
  if (auto* no = std::get_if<refusal>(&parsed)) {
    out.refused = make_response(req, static_cast<bhttp::status>(no->status), no->reason);
    return out;
  }
  auto& r = std::get<sis_request>(parsed);
  if (!is_served(options_.domains, r.user.domain())) {
    out.refused =
        make_response(req, bhttp::status::not_found, "not a domain of this server: " + r.user.domain());
    return out;
  }
  // The header wins over the query; an unsigned "viewer" parameter is never read.
  std::string token = bearer_token(req);
  if (token.empty()) token = r.token;
  if (!token.empty()) {
    std::string why;
    out.viewer = key_.verify(
        token, std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()), why);
    if (!out.viewer) {
      auto res = make_response(req, bhttp::status::unauthorized, why);
      res.set(bhttp::field::www_authenticate,
              "Bearer realm=\"sis\", error=\"invalid_token\", error_description=\"" + why + "\"");
      out.refused = std::move(res);
      return out;
    }
  }
  out.req = std::move(r);
  return out;
}

asio::awaitable<std::shared_ptr<const user_facts>> endpoint::facts(core::jid user) {
  const std::string key = user.bare_str();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(facts_mutex_);
    if (auto it = facts_.find(key); it != facts_.end() && it->second.expires > now)
      co_return it->second.facts;
  }
  auto loading = load_facts(store_, user);  // named: GCC 12
  auto loaded = co_await std::move(loading);
  if (!loaded) {
    spdlog::warn("sis: facts of {} unavailable: {}", key, loaded.error().message());
    co_return nullptr;
  }
  auto f = std::make_shared<const user_facts>(std::move(*loaded));
  std::lock_guard lock(facts_mutex_);
  if (facts_.size() >= options_.max_facts) {
    std::erase_if(facts_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (facts_.size() >= options_.max_facts) facts_.clear();
  }
  facts_[key] = cached_facts{now + options_.facts_ttl, f};
  co_return f;
}

asio::awaitable<std::optional<render::snapshot>> endpoint::snapshot_for(core::jid user,
                                                                        std::optional<core::jid> viewer) {
  auto getting = facts(user);  // named: GCC 12
  auto f = co_await std::move(getting);
  if (!f) co_return std::nullopt;
  const sight s = sight_of(*f, user, viewer, options_.public_by_default);
  // Sessions are read the same way for every name, present or not.
  const auto resources = sessions_.resources(user);
  co_return snapshot_of(resources, s, f->offline_note);
}

asio::awaitable<response> endpoint::handle(request req, request_context ctx) {
  if (req.method() == bhttp::verb::options) {  // CORS preflight: a script sending the token header
    auto res = make_response(req, bhttp::status::no_content, "");
    res.set(bhttp::field::access_control_allow_origin, "*");
    res.set(bhttp::field::access_control_allow_methods, "GET, HEAD");
    res.set(bhttp::field::access_control_allow_headers, "Authorization");
    res.set(bhttp::field::access_control_max_age, "600");
    co_return res;
  }
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    auto res = make_response(req, bhttp::status::method_not_allowed, "the status image server is read-only");
    res.set(bhttp::field::allow, "GET, HEAD, OPTIONS");
    co_return res;
  }
  checked c = check(req);
  if (c.refused) co_return std::move(*c.refused);
  if (c.req->kind == answer::embed) co_return embed_answer(req, *c.req, ctx);
  if (c.req->kind == answer::events)  // HEAD of the stream: its header only
    co_return make_response(req, bhttp::status::ok, "", "text/event-stream");
  auto getting = snapshot_for(c.req->user, c.viewer);  // named: GCC 12
  auto snap = co_await std::move(getting);
  if (!snap) {
    auto res = make_response(req, bhttp::status::service_unavailable, "storage unavailable; try again later");
    res.set(bhttp::field::retry_after, "5");
    co_return res;
  }
  view v;
  v.snap = std::move(*snap);
  v.with_token = c.viewer.has_value();
  if (c.req->kind == answer::json) co_return json_answer(req, *c.req, v);
  auto answering = image_answer(std::move(req), std::move(*c.req), std::move(v));  // named: GCC 12
  co_return co_await std::move(answering);
}

asio::awaitable<response> endpoint::image_answer(request req, sis_request r, view v) {
  image_ptr img = images_.find(v.snap, r.options);
  if (!img) {
    auto drawing = asio::co_spawn(draw_pool_, draw_on(images_, v.snap, r.options), asio::use_awaitable);
    img = co_await std::move(drawing);
  }
  if (img->bytes.empty())
    co_return make_response(req, bhttp::status::internal_server_error, "the image could not be drawn");
  const bool not_modified = none_match(req, img->etag);
  response res = make_response(req, not_modified ? bhttp::status::not_modified : bhttp::status::ok,
                               not_modified ? std::string() : img->bytes,
                               r.options.format == render::format::svg ? "image/svg+xml" : "image/png");
  if (not_modified) res.erase(bhttp::field::content_type);
  res.set(bhttp::field::etag, img->etag);
  common_headers(res, options_.max_age, v.with_token);
  if (r.options.format == render::format::svg)
    res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  co_return res;
}

std::string state_json(const core::jid& user, const render::snapshot& s) {
  return "{\"jid\":" + json_string(user.str()) + ",\"state\":" + json_string(render::name_of(s.state)) +
         ",\"label\":" + json_string(render::label_of(s.state)) +
         ",\"text\":" + json_string(render::clean_text(s.text)) +
         ",\"version\":" + json_string(etag_of(s, {}).substr(1, 32)) + "}";
}

response endpoint::json_answer(const request& req, const sis_request& r, const view& v) const {
  render::options marker;  // the JSON's tag: the snapshot with a size no image has
  marker.size = 0;
  const std::string etag = etag_of(v.snap, marker);
  const bool not_modified = none_match(req, etag);
  response res =
      make_response(req, not_modified ? bhttp::status::not_modified : bhttp::status::ok,
                    not_modified ? std::string() : state_json(r.user, v.snap) + "\n", "application/json");
  if (not_modified) res.erase(bhttp::field::content_type);
  res.set(bhttp::field::etag, etag);
  common_headers(res, options_.max_age, v.with_token);
  return res;
}

response endpoint::embed_answer(const request& req, const sis_request& r, const request_context& ctx) const {
  std::string base = options_.public_url;
  if (base.empty()) {
    auto host = req[bhttp::field::host];
    const bool plain = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
             c == ']';
    });
    if (host.empty() || !plain)
      return make_response(req, bhttp::status::bad_request, "a Host of letters, digits, '.', '-', ':'");
    base = std::string(ctx.tls ? "https://" : "http://") + std::string(host);
  }
  while (base.ends_with('/')) base.pop_back();
  const std::string user = percent_encode(r.user.str());
  std::string query = query_of(r.options);
  if (!r.token.empty()) query += "&token=" + percent_encode(r.token);
  const std::string src = base + options_.mount + "/" + user + ".png?" + query;
  const std::string events = base + options_.mount + "/" + user + "/events" +
                             (r.token.empty() ? "" : "?token=" + percent_encode(r.token));
  const auto dim = render::dimensions_of(r.options);
  const int w = dim.width / r.options.scale, h = dim.height / r.options.scale;
  std::string html =
      "<a class=\"ofs-status\" href=\"xmpp:" + html_escape(r.user.str()) + "\"><img src=\"" +
      html_escape(src) + "\" data-ofs-src=\"" + html_escape(src) + "\" data-ofs-events=\"" +
      html_escape(events) + "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
      "\" alt=\"" + html_escape(r.user.str()) +
      ": presence\"></a>\n"
      // Live: each state change points the image at a URL of its own.
      "<script>(function(a){var i=a.firstElementChild;if(!window.EventSource)return;"
      "var e=new EventSource(i.dataset.ofsEvents);e.addEventListener('presence',function(m){"
      "var d=JSON.parse(m.data);i.src=i.dataset.ofsSrc+'&v='+d.version;"
      "i.alt=d.jid+': '+d.label;});})(document.currentScript.previousElementSibling);</script>\n";
  response res = make_response(req, bhttp::status::ok, std::move(html), "text/html; charset=utf-8");
  common_headers(res, options_.max_age, !r.token.empty());
  return res;
}

}  // namespace ofs::http::status
