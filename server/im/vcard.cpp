#include "server/im/vcard.hpp"

#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view vcard_ns = "vcard-temp";
constexpr std::string_view vcard_key = "vcard-temp";

class vcard : public std::enable_shared_from_this<vcard> {
public:
  explicit vcard(service& svc) : svc_(svc) {}

  core::hook_result handle(core::stanza& s) {
    if (!is_request(s)) return core::hook_result::handled;
    if (payload(s)->name() != "vCard") return bounce(s, core::stanza_error(core::condition::bad_request));
    if (s.type() == "set") {
      if (!from_owner(s)) return bounce(s, core::stanza_error(core::condition::forbidden));
      std::string xml = to_stored(*payload(s));
      if (xml.size() > vcard_max_bytes)
        return bounce(s,
                      core::stanza_error(core::condition::not_acceptable, std::nullopt, "vCard too large"));
      auto task = [self = shared_from_this(), s, xml = std::move(xml)] { return self->put(s, xml); };
      svc_.post(s.to().bare(), s, std::move(task));
    } else {
      auto task = [self = shared_from_this(), s] { return self->get(s); };
      svc_.post(s.to().bare(), s, std::move(task));
    }
    return core::hook_result::handled;
  }

private:
  core::hook_result bounce(const core::stanza& s, core::stanza_error e) {
    svc_.router().bounce(s, std::move(e));
    return core::hook_result::handled;
  }

  boost::asio::awaitable<void> put(core::stanza s, std::string xml) {
    auto done = co_await svc_.store().put_private(s.to().bare(), std::string(vcard_key), std::move(xml));
    if (!done) co_return bounce_store_error(svc_.router(), s);
    svc_.router().route(make_result(s));
  }

  boost::asio::awaitable<void> get(core::stanza s) {
    const core::jid owner = s.to().bare();
    auto stored = co_await svc_.store().get_private(owner, std::string(vcard_key));
    if (!stored) co_return bounce_store_error(svc_.router(), s);
    if (*stored) {
      if (auto card = from_stored(**stored)) co_return svc_.router().route(make_result(s, std::move(*card)));
      spdlog::warn("im: unreadable stored vCard of {}", owner.str());
    } else if (!from_owner(s)) {
      // No vCard: tell an account without one from no account at all (XEP-0054 3.1).
      auto creds = co_await svc_.store().get_credentials(owner);
      if (!creds) co_return bounce_store_error(svc_.router(), s);
      if (!*creds) {
        bounce(s, core::stanza_error(core::condition::service_unavailable));
        co_return;
      }
    }
    svc_.router().route(make_result(s, core::element("vCard", std::string(vcard_ns))));
  }

  service& svc_;
};

}  // namespace

void install_vcard(service& svc) {
  auto v = std::make_shared<vcard>(svc);
  svc.router().add_iq_handler(core::route_target::bare, std::string(vcard_ns),
                              [v](core::stanza& s) { return v->handle(s); });
  svc.add_feature(std::string(vcard_ns));
  svc.add_account_feature(std::string(vcard_ns));
}

}  // namespace ofs::im
