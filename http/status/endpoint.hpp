#pragma once
// The status image server at /sis on the HTTP(S) listeners: presence as PNG or SVG, JSON
// (CORS) and an HTML snippet, with strong ETags, 304s and a short max-age, and a stream of
// Server-Sent Events for live badges (events.cpp). Private by default: see policy.hpp.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "http/route_table.hpp"
#include "http/status/image_cache.hpp"
#include "http/status/policy.hpp"
#include "http/status/sis_request.hpp"
#include "http/status/viewer_token.hpp"
#include "http/status/watchers.hpp"

namespace ofs::http::status {

struct sis_options {
  std::string mount = "/sis";
  std::chrono::seconds max_age{10};           // Cache-Control of answers
  std::size_t cache_bytes = 8 * 1024 * 1024;  // rendered images kept
  bool public_by_default = false;             // anonymous viewers see users who did not opt out
  std::chrono::seconds facts_ttl{5};          // rules, block lists, rosters read again after this
  std::chrono::seconds heartbeat{15};         // event streams: a comment line at least this often
  std::vector<std::string> domains;           // served: users of other domains get 404
  std::string public_url;                     // the embed snippet's base URL; empty: from Host
  std::size_t max_facts = 10000;              // users whose facts are kept
  unsigned draw_threads = 1;                  // images not in the cache are drawn there
};

// What one request may show: the viewer's sight of the user and the snapshot drawn from it.
struct view {
  render::snapshot snap;
  bool with_token = false;
};

class endpoint {
public:
  endpoint(core::session_registry& sessions, storage::store& store, token_key key, sis_options o);
  boost::asio::awaitable<response> handle(request req, request_context ctx);
  // The event stream: GET .../events, on either stream type.
  boost::asio::awaitable<void> events(request req, upgrade_stream s, std::shared_ptr<shutdown_hook> hook);
  static bool is_events(const request& req);
  // The registry's observer: wakes the user's event streams.
  void presence_changed(const core::jid& bare) { watchers_.notify(bare); }
  const sis_options& options() const { return options_; }
  image_cache& images() { return images_; }
  watchers& watchers_for_events() { return watchers_; }

  // A refusal (bad name, bad token, foreign domain), or the parsed request with its viewer.
  struct checked {
    std::optional<sis_request> req;
    std::optional<core::jid> viewer;
    std::optional<response> refused;
  };
  checked check(const request& req) const;
  // The snapshot a viewer gets now; nullopt when the store could not answer.
  boost::asio::awaitable<std::optional<render::snapshot>> snapshot_for(core::jid user,
                                                                       std::optional<core::jid> viewer);

private:
  boost::asio::awaitable<std::shared_ptr<const user_facts>> facts(core::jid user);
  boost::asio::awaitable<response> image_answer(request req, sis_request r, view v);
  response json_answer(const request& req, const sis_request& r, const view& v) const;
  response embed_answer(const request& req, const sis_request& r, const request_context& ctx) const;

  core::session_registry& sessions_;
  storage::store& store_;
  token_key key_;
  sis_options options_;
  image_cache images_;
  // Drawing takes milliseconds for large images: off the I/O threads, so that cached answers
  // and other connections do not wait behind it.
  boost::asio::thread_pool draw_pool_;
  watchers watchers_;
  struct cached_facts {
    std::chrono::steady_clock::time_point expires;
    std::shared_ptr<const user_facts> facts;
  };
  std::mutex facts_mutex_;
  std::unordered_map<std::string, cached_facts> facts_;
};

// The state as the JSON answer and the events carry it; "version" changes with it.
std::string state_json(const core::jid& user, const render::snapshot& s);

// The headers every status answer carries, whatever the user: caching, Vary, CORS, nosniff.
void common_headers(response& res, std::chrono::seconds max_age, bool with_token);

}  // namespace ofs::http::status
