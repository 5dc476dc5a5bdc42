#include "server/im/last.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view last_ns = "jabber:iq:last";
constexpr std::string_view last_key = "last";

std::int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

core::element last_query(std::int64_t seconds) {
  core::element q("query", std::string(last_ns));
  q.set_attr("seconds", std::to_string(std::max<std::int64_t>(seconds, 0)));
  return q;
}

class last_activity : public std::enable_shared_from_this<last_activity> {
public:
  explicit last_activity(service& svc) : svc_(svc) {}

  core::hook_result server(core::stanza& s) {
    if (!get_request(s)) return core::hook_result::handled;
    auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    svc_.router().route(make_result(s, last_query(up.count())));
    return core::hook_result::handled;
  }

  core::hook_result account(core::stanza& s) {
    if (!get_request(s)) return core::hook_result::handled;
    auto task = [self = shared_from_this(), s] { return self->answer(s); };
    svc_.post(s.to().bare(), s, std::move(task));
    return core::hook_result::handled;
  }

  void on_unbind(core::endpoint& session) {
    const core::jid owner = session.address().bare();
    for (const auto& r : svc_.router().sessions().resources(owner))
      if (r.ep.get() != &session) return;  // another session is still there
    auto task = [self = shared_from_this(), owner, when = unix_now()] { return self->remember(owner, when); };
    svc_.shards().post_accepted(owner, std::move(task));
  }

private:
  bool get_request(const core::stanza& s) {
    if (s.type() == "set") svc_.router().bounce(s, core::stanza_error(core::condition::bad_request));
    return s.type() == "get";
  }

  boost::asio::awaitable<void> answer(core::stanza s) {
    const core::jid owner = s.to().bare();
    auto allowed = co_await may_see_presence(svc_.store(), owner, s.from());
    if (!allowed) co_return bounce_store_error(svc_.router(), s);
    if (!*allowed) co_return svc_.router().bounce(s, core::stanza_error(core::condition::forbidden));
    for (const auto& r : svc_.router().sessions().resources(owner))
      if (r.available) co_return svc_.router().route(make_result(s, last_query(0)));
    auto stored = co_await svc_.store().get_private(owner, std::string(last_key));
    if (!stored) co_return bounce_store_error(svc_.router(), s);
    std::int64_t when = 0;
    const std::string text = stored->value_or("");
    if (std::from_chars(text.data(), text.data() + text.size(), when).ec != std::errc() || when <= 0)
      co_return svc_.router().bounce(s, core::stanza_error(core::condition::item_not_found));
    svc_.router().route(make_result(s, last_query(unix_now() - when)));
  }

  boost::asio::awaitable<void> remember(core::jid owner, std::int64_t when) {
    auto done = co_await svc_.store().put_private(owner, std::string(last_key), std::to_string(when));
    if (!done && done.error() != storage::storage_error::no_account)
      spdlog::warn("im: storing last activity of {}: {}", owner.str(), done.error().message());
  }

  service& svc_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

void install_last(service& svc) {
  auto l = std::make_shared<last_activity>(svc);
  auto& r = svc.router();
  r.add_iq_handler(core::route_target::host, std::string(last_ns),
                   [l](core::stanza& s) { return l->server(s); });
  r.add_iq_handler(core::route_target::bare, std::string(last_ns),
                   [l](core::stanza& s) { return l->account(s); });
  svc.on_unbind([l](core::endpoint& session) { l->on_unbind(session); });
  svc.add_feature(std::string(last_ns));
  svc.add_account_feature(std::string(last_ns));
}

}  // namespace ofs::im
