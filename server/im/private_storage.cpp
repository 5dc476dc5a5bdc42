#include "server/im/private_storage.hpp"

#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view private_ns = "jabber:iq:private";

// Clark notation keeps these keys apart from the plain words other features use.
std::string key_of(const core::element& e) { return "{" + e.xmlns() + "}" + e.name(); }

std::vector<core::element> items_of(const core::element& query) {
  std::vector<core::element> out;
  for (const auto& c : query.children())
    if (!c.is_text()) out.push_back(c);
  return out;
}

class private_storage : public std::enable_shared_from_this<private_storage> {
public:
  explicit private_storage(service& svc) : svc_(svc) {}

  core::hook_result handle(core::stanza& s) {
    if (!is_request(s)) return core::hook_result::handled;
    if (!from_owner(s)) return bounce(s, core::condition::forbidden);
    auto items = items_of(*payload(s));
    if (items.empty()) return bounce(s, core::condition::bad_request);
    for (const auto& item : items) {
      // An element without its own namespace inherits jabber:iq:private: reserved too.
      if (item.xmlns().starts_with("jabber:")) return bounce(s, core::condition::not_acceptable);
      if (s.type() == "set" && to_stored(item).size() > private_item_max_bytes)
        return bounce(s, core::condition::not_acceptable);
    }
    auto task = [self = shared_from_this(), s, items = std::move(items)] {
      return s.type() == "set" ? self->put(s, items) : self->get(s, items);
    };
    svc_.post(s.to().bare(), s, std::move(task));
    return core::hook_result::handled;
  }

private:
  core::hook_result bounce(const core::stanza& s, core::condition c) {
    svc_.router().bounce(s, core::stanza_error(c));
    return core::hook_result::handled;
  }

  boost::asio::awaitable<void> put(core::stanza s, std::vector<core::element> items) {
    for (const auto& item : items) {
      auto done = co_await svc_.store().put_private(s.to().bare(), key_of(item), to_stored(item));
      if (!done) co_return bounce_store_error(svc_.router(), s);
    }
    svc_.router().route(make_result(s));
  }

  boost::asio::awaitable<void> get(core::stanza s, std::vector<core::element> items) {
    core::element query("query", std::string(private_ns));
    for (auto& item : items) {
      auto stored = co_await svc_.store().get_private(s.to().bare(), key_of(item));
      if (!stored) co_return bounce_store_error(svc_.router(), s);
      std::optional<core::element> found;
      if (*stored && !(found = from_stored(**stored)))
        spdlog::warn("im: unreadable private data {} of {}", key_of(item), s.to().str());
      // Nothing stored: the request's own (empty) element comes back (XEP-0049 2.3).
      query.add_child(found ? std::move(*found) : std::move(item));
    }
    svc_.router().route(make_result(s, std::move(query)));
  }

  service& svc_;
};

}  // namespace

void install_private_storage(service& svc) {
  auto p = std::make_shared<private_storage>(svc);
  svc.router().add_iq_handler(core::route_target::bare, std::string(private_ns),
                              [p](core::stanza& s) { return p->handle(s); });
  svc.add_feature(std::string(private_ns));
}

}  // namespace ofs::im
