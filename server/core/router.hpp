#pragma once
// The switching core: every front-end hands stanzas to route(); the router finds the
// destination by the rules of RFC 6120 section 10 and RFC 6121 section 8.5:
//   full JID   -> that resource (bare-JID rules for some kinds if it is gone);
//   bare JID   -> hooks (presence, offline...), then the best available resources;
//   local host -> IQ handlers by payload namespace, then hooks;
//   component  -> the component's endpoint; other domain -> the remote route (s2s, nodes).
// What nobody takes gets an error reply, never silence. Hooks and handlers are registered
// at start-up, before route() is first called; route() is safe from any thread.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/endpoint.hpp"
#include "server/core/session_registry.hpp"
#include "server/core/stanza_error.hpp"
#include "server/core/striped_counter.hpp"

namespace ofs::core {

enum class route_target { full, bare, host };
enum class hook_result { pass, handled };
using hook = std::function<hook_result(stanza&)>;
// Answers an iq addressed to the server (or to a bare JID, on the user's behalf).
using iq_handler = std::function<hook_result(stanza&)>;
// Takes stanzas for domains that are neither hosted nor components; false if it cannot.
using remote_route = std::function<bool(stanza&)>;

class router {
public:
  explicit router(std::vector<std::string> local_domains);

  // Start-up only.
  void add_hook(stanza_kind kind, route_target target, int priority, hook h);
  void add_iq_handler(route_target target, std::string xmlns, iq_handler h);
  void set_remote_route(remote_route r) { remote_ = std::move(r); }

  // Any time.
  void add_component(std::string domain, std::shared_ptr<endpoint> e);
  void remove_component(const std::string& domain);
  bool is_local_domain(std::string_view domain) const;
  const std::vector<std::string>& local_domains() const { return domains_; }
  session_registry& sessions() { return sessions_; }
  std::uint64_t routed() const { return routed_.read(); }  // stanzas route() took, since start

  // Binds a session; an older session on the same full JID is told to end with <conflict/>.
  void bind(const std::shared_ptr<endpoint>& e);
  void unbind(const endpoint& e) { sessions_.unbind(e); }

  // Routes s, whose 'from' the front-end has already stamped. An empty 'to' means the
  // sender's own account (RFC 6120 10.3).
  void route(stanza s);
  // A stanza that the front-end of `gone` could not write: the session is closing or no
  // longer bound. Treated as for a resource that is gone (RFC 6121 8.5.3.2.1): a message of
  // type chat or normal (or none) goes by the bare-JID rules to another resource or to
  // offline storage, an iq request gets <service-unavailable/>; presence, errors, headlines
  // and groupchat are dropped. `gone` stops counting as available first. Any thread.
  void undeliverable(stanza s, const endpoint& gone);
  // Sends the error reply for s back to its sender, unless s is itself an error.
  void bounce(const stanza& s, stanza_error e);
  // The default delivery to a bare JID: the available resources of highest non-negative
  // priority for messages, every available resource for presence. False if none.
  bool deliver_to_bare(const stanza& s);

private:
  striped_counter routed_;
  struct registered_hook {
    int priority;
    hook fn;
  };
  using hook_list = std::vector<registered_hook>;
  hook_list& hooks(stanza_kind kind, route_target target);
  bool run_hooks(stanza_kind kind, route_target target, stanza& s);
  bool run_iq_handlers(route_target target, stanza& s);

  void route_full(stanza& s);
  void route_bare(stanza& s);
  void route_host(stanza& s);
  void route_elsewhere(stanza& s);

  std::vector<std::string> domains_;
  session_registry sessions_;
  std::array<hook_list, 4 * 3> hooks_;
  std::map<std::string, iq_handler, std::less<>> iq_handlers_[3];
  remote_route remote_;
  mutable std::shared_mutex components_mutex_;
  std::unordered_map<std::string, std::weak_ptr<endpoint>> components_;
};

}  // namespace ofs::core
