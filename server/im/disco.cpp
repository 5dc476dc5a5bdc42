#include "server/im/disco.hpp"

#include <openssl/evp.h>

#include "server/auth/base64.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

core::element identity(std::string category, std::string type, std::string name = {}) {
  core::element id("identity", std::string(disco_info_ns));
  id.set_attr("category", std::move(category));
  id.set_attr("type", std::move(type));
  if (!name.empty()) id.set_attr("name", std::move(name));
  return id;
}

core::element feature(const std::string& ns) {
  core::element f("feature", std::string(disco_info_ns));
  f.set_attr("var", ns);
  return f;
}

std::string sha1(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

class disco : public std::enable_shared_from_this<disco> {
public:
  explicit disco(service& svc) : svc_(svc) {}

  core::hook_result server_info(core::stanza& s) {
    if (!get_request(s)) return core::hook_result::handled;
    core::element query("query", std::string(disco_info_ns));
    auto node = payload(s)->attr("node");
    if (!node.empty()) {
      // Only the caps node (XEP-0115 6.2) names something here.
      if (node != std::string(caps_node) + "#" + caps_ver(svc_)) return not_found(s);
      query.set_attr("node", std::string(node));
    }
    query.add_child(identity("server", "im", svc_.config().server_name));
    for (const auto& ns : svc_.features()) query.add_child(feature(ns));
    svc_.router().route(make_result(s, std::move(query)));
    return core::hook_result::handled;
  }

  core::hook_result server_items(core::stanza& s) {
    if (!get_request(s)) return core::hook_result::handled;
    if (!payload(s)->attr("node").empty()) return not_found(s);
    core::element query("query", std::string(disco_items_ns));
    for (const auto& [jid, name] : svc_.items()) {
      core::element& item = query.add_child(core::element("item", std::string(disco_items_ns)));
      item.set_attr("jid", jid);
      if (!name.empty()) item.set_attr("name", name);
    }
    svc_.router().route(make_result(s, std::move(query)));
    return core::hook_result::handled;
  }

  // Both account queries need the owner's roster, so they run on the owner's shard.
  core::hook_result account(core::stanza& s, bool info) {
    if (!get_request(s)) return core::hook_result::handled;
    auto task = [self = shared_from_this(), s, info] { return self->answer_account(s, info); };
    svc_.post(s.to().bare(), s, std::move(task));
    return core::hook_result::handled;
  }

private:
  // False (after answering) for anything but a get; results and errors are dropped.
  bool get_request(const core::stanza& s) {
    if (s.type() == "set") svc_.router().bounce(s, core::stanza_error(core::condition::bad_request));
    return s.type() == "get";
  }

  core::hook_result not_found(const core::stanza& s) {
    svc_.router().bounce(s, core::stanza_error(core::condition::item_not_found));
    return core::hook_result::handled;
  }

  boost::asio::awaitable<void> answer_account(core::stanza s, bool info) {
    auto allowed = co_await may_see_presence(svc_.store(), s.to(), s.from());
    if (!allowed) co_return bounce_store_error(svc_.router(), s);
    // Others learn nothing, not even whether the account exists (RFC 6121 8.5.1).
    if (!*allowed)
      co_return svc_.router().bounce(s, core::stanza_error(core::condition::service_unavailable));
    if (!payload(s)->attr("node").empty()) {
      not_found(s);
      co_return;
    }
    core::element query("query", std::string(info ? disco_info_ns : disco_items_ns));
    if (info) {
      query.add_child(identity("account", "registered"));
      for (const auto& ns : svc_.account_features()) query.add_child(feature(ns));
    }
    svc_.router().route(make_result(s, std::move(query)));
  }

  service& svc_;
};

}  // namespace

void install_disco(service& svc) {
  auto d = std::make_shared<disco>(svc);
  auto& r = svc.router();
  using core::route_target;
  r.add_iq_handler(route_target::host, std::string(disco_info_ns),
                   [d](core::stanza& s) { return d->server_info(s); });
  r.add_iq_handler(route_target::host, std::string(disco_items_ns),
                   [d](core::stanza& s) { return d->server_items(s); });
  r.add_iq_handler(route_target::bare, std::string(disco_info_ns),
                   [d](core::stanza& s) { return d->account(s, true); });
  r.add_iq_handler(route_target::bare, std::string(disco_items_ns),
                   [d](core::stanza& s) { return d->account(s, false); });
  for (auto ns : {disco_info_ns, disco_items_ns}) svc.add_feature(std::string(ns));
  svc.add_account_feature(std::string(disco_info_ns));
}

std::string caps_ver(const service& svc) {
  // XEP-0115 5.1: identities "category/type/lang/name<" sorted, then features "var<"
  // sorted (features() already is); no extended forms.
  std::string s = "server/im//" + svc.config().server_name + "<";
  for (const auto& ns : svc.features()) s += ns + "<";
  return caps_hash(s);
}

std::string caps_hash(std::string_view s) { return auth::base64_encode(sha1(s)); }

core::element caps_element(const service& svc) {
  core::element c("c", std::string(caps_ns));
  c.set_attr("hash", "sha-1");
  c.set_attr("node", std::string(caps_node));
  c.set_attr("ver", caps_ver(svc));
  return c;
}

}  // namespace ofs::im
