#include "server/im/register.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "server/auth/kdf_pool.hpp"
#include "server/auth/scram.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

using clock = std::chrono::steady_clock;

core::element query(std::string_view child = {}) {
  core::element q("query", std::string(register_ns));
  if (!child.empty()) q.add_child(core::element(std::string(child), std::string(register_ns)));
  return q;
}

std::vector<auth::scram_credentials> credentials_for(std::string_view password, std::uint32_t iterations) {
  return {auth::make_credentials(auth::scram_hash::sha1, password, iterations),
          auth::make_credentials(auth::scram_hash::sha256, password, iterations)};
}

// PBKDF2 (up to a million iterations) on the key derivation pool, off the I/O threads; fails
// when its queue is full or the server stops.
boost::asio::awaitable<result<std::vector<auth::scram_credentials>>> derive(service& svc,
                                                                            std::string password) {
  auto job = [password = std::move(password), n = svc.config().scram_iterations] {
    return credentials_for(password, n);
  };
  return svc.kdf().async_run(std::move(job), boost::asio::use_awaitable);
}

// Accounts created per remote address in the last hour. A slot is taken before the store
// is asked, so simultaneous attempts cannot all slip through, and given back on failure.
class ip_limiter {
public:
  enum class verdict { ok, over_limit, full };

  verdict take(const std::string& ip, unsigned per_hour, clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (recent_.size() >= max_tracked && !recent_.count(ip)) {
      prune(now);
      if (recent_.size() >= max_tracked) return verdict::full;
    }
    auto& times = recent_[ip];
    while (!times.empty() && now - times.front() >= std::chrono::hours(1)) times.pop_front();
    if (times.size() >= per_hour) return verdict::over_limit;
    times.push_back(now);
    return verdict::ok;
  }

  void give_back(const std::string& ip, clock::time_point when) {
    std::lock_guard lock(mutex_);
    auto it = recent_.find(ip);
    if (it == recent_.end()) return;
    auto& times = it->second;
    if (auto t = std::find(times.begin(), times.end(), when); t != times.end()) times.erase(t);
    if (times.empty()) recent_.erase(it);
  }

private:
  void prune(clock::time_point now) {
    for (auto it = recent_.begin(); it != recent_.end();) {
      auto& times = it->second;
      while (!times.empty() && now - times.front() >= std::chrono::hours(1)) times.pop_front();
      it = times.empty() ? recent_.erase(it) : std::next(it);
    }
  }
  static constexpr std::size_t max_tracked = 100'000;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<clock::time_point>> recent_;
};

class registration : public std::enable_shared_from_this<registration> {
public:
  explicit registration(service& svc) : svc_(svc) {}

  boost::asio::awaitable<core::element> preauth(core::element iq, std::string remote, std::string host) {
    const core::element* q = iq.child("query", register_ns);
    const auto type = iq.attr("type");
    if (!q || (type != "get" && type != "set")) co_return error_reply(iq, core::condition::bad_request);
    if (!svc_.config().registration || !svc_.router().is_local_domain(host))
      co_return error_reply(iq, core::condition::service_unavailable);
    if (type == "get") {
      core::element form = query();
      form.add_child(core::element("instructions", std::string(register_ns)))
          .add_text("Choose a user name and password.");
      form.add_child(core::element("username", std::string(register_ns)));
      form.add_child(core::element("password", std::string(register_ns)));
      co_return result_reply(iq, std::move(form));
    }
    if (q->child("remove", register_ns)) co_return error_reply(iq, core::condition::not_authorized);
    auto account = core::jid::from_parts(q->child_text("username", register_ns), host);
    auto password = auth::saslprep(q->child_text("password", register_ns));
    if (!account || account->node().empty() || !password)
      co_return error_reply(iq, core::condition::not_acceptable,
                            "A valid user name and password are required");
    const auto now = clock::now();
    switch (limiter_.take(remote, svc_.config().registrations_per_ip_hour, now)) {
      case ip_limiter::verdict::ok: break;
      case ip_limiter::verdict::over_limit:
        co_return error_reply(iq, core::condition::policy_violation,
                              "Too many registrations from this address", core::error_type::wait);
      case ip_limiter::verdict::full:
        co_return error_reply(iq, core::condition::resource_constraint, {}, core::error_type::wait);
    }
    auto creds = co_await derive(svc_, std::move(*password));
    if (!creds) {  // the key derivation queue is full, or the server stops
      limiter_.give_back(remote, now);
      co_return error_reply(iq, core::condition::resource_constraint, {}, core::error_type::wait);
    }
    auto created = co_await svc_.store().create_account(*account, std::move(*creds));
    if (!created || !*created) limiter_.give_back(remote, now);
    if (!created)
      co_return error_reply(iq, core::condition::internal_server_error, {}, core::error_type::wait);
    if (!*created) co_return error_reply(iq, core::condition::conflict);
    co_return result_reply(iq, {});
  }

  // jabber:iq:register from a logged-in user, to the server or to their own account.
  core::hook_result authenticated(core::stanza& s) {
    if (!is_request(s)) return core::hook_result::handled;
    const core::jid& from = s.from();
    const bool own = s.to().is_domain() ? s.to().domain() == from.domain() : from_owner(s);
    if (from.node().empty() || !svc_.router().is_local_domain(from.domain()) || !own)
      return core::hook_result::pass;  // not an account of ours: service-unavailable
    if (s.type() == "get") {
      core::element q = query("registered");
      q.add_child(core::element("username", std::string(register_ns))).add_text(from.node());
      svc_.router().route(make_result(s, std::move(q)));
      return core::hook_result::handled;
    }
    auto task = [self = shared_from_this(), s] { return self->change(s); };
    svc_.post(from.bare(), s, std::move(task));
    return core::hook_result::handled;
  }

private:
  boost::asio::awaitable<void> change(core::stanza s) {
    const core::jid account = s.from().bare();
    const core::element& q = *payload(s);
    auto& r = svc_.router();
    if (q.child("remove", register_ns)) {
      auto removed = co_await svc_.store().remove_account(account);
      if (!removed) co_return bounce_store_error(r, s);
      r.route(make_result(s));
      // XEP-0077 3.2: the account's sessions end with a stream error.
      for (const auto& res : r.sessions().resources(account))
        res.ep->terminate("not-authorized", "Account removed");
      co_return;
    }
    auto password = auth::saslprep(q.child_text("password", register_ns));
    if (!q.child("username", register_ns) || !q.child("password", register_ns))
      co_return r.bounce(s, core::stanza_error(core::condition::bad_request));
    auto named = core::jid::from_parts(q.child_text("username", register_ns), account.domain());
    if (!named || *named != account) co_return r.bounce(s, core::stanza_error(core::condition::not_allowed));
    if (!password) co_return r.bounce(s, core::stanza_error(core::condition::not_acceptable));
    auto creds = co_await derive(svc_, std::move(*password));
    if (!creds)
      co_return r.bounce(s, core::stanza_error(core::condition::resource_constraint, core::error_type::wait));
    auto changed = co_await svc_.store().set_credentials(account, std::move(*creds));
    if (!changed) co_return bounce_store_error(r, s);
    if (!*changed) co_return r.bounce(s, core::stanza_error(core::condition::item_not_found));
    // XCAP's HTTP Digest hashes (xcap/http_auth.hpp, "http-digest-ha1") are of the old password:
    // cleared, so that it no longer works; the next Basic login stores the new ones.
    auto cleared = co_await svc_.store().put_private(account, "http-digest-ha1", "");
    if (!cleared) co_return bounce_store_error(r, s);
    r.route(make_result(s));
  }

  static core::element reply_for(const core::element& iq, std::string_view type) {
    core::element reply("iq", std::string(core::ns::client));
    reply.set_attr("type", std::string(type));
    if (iq.has_attr("id")) reply.set_attr("id", std::string(iq.attr("id")));
    return reply;
  }
  static core::element result_reply(const core::element& iq, std::optional<core::element> child) {
    core::element reply = reply_for(iq, "result");
    if (child) reply.add_child(std::move(*child));
    return reply;
  }
  static core::element error_reply(const core::element& iq, core::condition c, std::string text = {},
                                   std::optional<core::error_type> type = std::nullopt) {
    core::element reply = reply_for(iq, "error");
    reply.add_child(core::make_error_element(core::stanza_error(c, type, std::move(text))));
    return reply;
  }

  service& svc_;
  ip_limiter limiter_;
};

}  // namespace

void install_register(service& svc) {
  auto reg = std::make_shared<registration>(svc);
  svc.set_preauth_register([reg](core::element iq, std::string remote, std::string host) {
    return reg->preauth(std::move(iq), std::move(remote), std::move(host));
  });
  for (auto target : {core::route_target::host, core::route_target::bare})
    svc.router().add_iq_handler(target, std::string(register_ns),
                                [reg](core::stanza& s) { return reg->authenticated(s); });
  svc.add_feature(std::string(register_ns));
}

}  // namespace ofs::im
