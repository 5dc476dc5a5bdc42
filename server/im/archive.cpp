#include "server/im/archive.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <climits>

#include "server/im/feature_support.hpp"
#include "server/im/mam_query.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace asio = boost::asio;
namespace {

constexpr std::string_view prefs_key = "urn:xmpp:mam:2#prefs";
constexpr std::string_view carbons_ns = "urn:xmpp:carbons:2";
constexpr std::size_t max_cached_prefs = 100'000;

void add_list(core::element& parent, std::string name, const std::vector<std::string>& jids) {
  auto& list = parent.add_child(core::element(std::move(name), std::string(mam_ns)));
  for (const auto& j : jids) list.add_child(core::element("jid", std::string(mam_ns))).add_text(j);
}

std::optional<std::vector<std::string>> read_list(const core::element& prefs, std::string_view name) {
  std::vector<std::string> out;
  if (const auto* list = prefs.child(name, mam_ns))
    for (const auto& c : list->children()) {
      if (c.is_text()) continue;
      auto j = core::jid::parse(c.text());
      if (c.name() != "jid" || !j) return std::nullopt;
      out.push_back(j->bare_str());
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool listed(const std::vector<std::string>& list, const std::string& jid) {
  return std::binary_search(list.begin(), list.end(), jid);
}

}  // namespace

std::optional<archive_prefs::mode> mode_of(std::string_view s) {
  if (s == "always") return archive_prefs::mode::always;
  if (s == "never") return archive_prefs::mode::never;
  if (s == "roster") return archive_prefs::mode::roster;
  return std::nullopt;
}

std::string_view to_text(archive_prefs::mode m) {
  switch (m) {
    case archive_prefs::mode::never: return "never";
    case archive_prefs::mode::roster: return "roster";
    case archive_prefs::mode::always: break;
  }
  return "always";
}

std::optional<archive_prefs> parse_prefs(const core::element& prefs) {
  archive_prefs p;
  auto mode = mode_of(prefs.attr("default"));
  auto always = read_list(prefs, "always"), never = read_list(prefs, "never");
  if (!mode || !always || !never) return std::nullopt;
  p.default_mode = *mode;
  p.always = std::move(*always);
  p.never = std::move(*never);
  return p;
}

core::element prefs_element(const archive_prefs& p) {
  core::element prefs("prefs", std::string(mam_ns));
  prefs.set_attr("default", std::string(to_text(p.default_mode)));
  add_list(prefs, "always", p.always);
  add_list(prefs, "never", p.never);
  return prefs;
}

bool archivable(const core::stanza& s) {
  if (s.kind() != core::stanza_kind::message) return false;
  const auto type = s.type();
  if (type == "error" || type == "groupchat" || type == "headline") return false;
  const auto& x = s.xml();
  if (x.child("received", carbons_ns) || x.child("sent", carbons_ns) || x.child("result", mam_ns))
    return false;
  return worth_storing(x);
}

message_archive::message_archive(service& svc) : svc_(svc) {
  defaults_.default_mode = mode_of(svc.config().archive.default_mode).value_or(archive_prefs::mode::always);
}

message_archive::verdict message_archive::cached_verdict(const core::jid& owner, const core::jid& with) {
  std::lock_guard lock(mutex_);
  auto it = prefs_.find(owner.bare_str());
  if (it == prefs_.end())
    return defaults_.default_mode == archive_prefs::mode::never ? verdict::skip : verdict::ask_store;
  const auto& p = it->second;
  const auto other = with.bare_str();
  if (listed(p.never, other)) return verdict::skip;
  if (listed(p.always, other)) return verdict::archive;
  switch (p.default_mode) {
    case archive_prefs::mode::always: return verdict::archive;
    case archive_prefs::mode::never: return verdict::skip;
    case archive_prefs::mode::roster: break;
  }
  return verdict::ask_store;  // the roster decides, on the owner's shard
}

core::hook_result message_archive::outbound(core::endpoint& from, core::stanza& s) {
  if (s.kind() != core::stanza_kind::message) return core::hook_result::pass;
  const core::jid owner = from.address().bare();
  // A client cannot stamp ids of its own archive (XEP-0359 5).
  if (!stanza_id_by(s.xml(), owner.bare_str()).empty()) strip_stanza_ids(s.mutable_xml(), owner.bare_str());
  if (!svc_.config().archive.enabled || !archivable(s)) return core::hook_result::pass;
  const core::jid with = s.to().empty() ? owner : s.to();
  if (cached_verdict(owner, with) == verdict::skip) return core::hook_result::pass;
  auto issued = ids_.issue(owner);
  storage::archived_message m{issued.seq, issued.id, with.bare_str(), with.resource(), to_stored(s.xml())};
  // Carbons copy it into the sent copies; finish_outbound takes it off the routed message.
  s.mutable_xml().add_child(stanza_id_element(owner, issued.id));
  post_write(owner, with, std::move(m));
  return core::hook_result::pass;
}

core::hook_result message_archive::finish_outbound(core::endpoint& from, core::stanza& s) {
  const std::string owner = from.address().bare_str();
  if (!stanza_id_by(s.xml(), owner).empty()) strip_stanza_ids(s.mutable_xml(), owner);
  return core::hook_result::pass;
}

core::hook_result message_archive::inbound(core::stanza& s) {
  if (!svc_.config().archive.enabled || !archivable(s)) return core::hook_result::pass;
  const core::jid owner = s.to().bare();
  if (s.from().bare() == owner) return core::hook_result::pass;  // kept once, on sending
  const std::string by = owner.bare_str();
  const auto existing = stanza_id_by(s.xml(), by);
  // The full-JID path may fall back to the bare one: stamp and archive once.
  if (!existing.empty() && ids_.ours(owner, existing)) return core::hook_result::pass;
  if (!existing.empty()) strip_stanza_ids(s.mutable_xml(), by);  // forged
  if (cached_verdict(owner, s.from()) == verdict::skip) return core::hook_result::pass;
  auto issued = ids_.issue(owner);
  storage::archived_message m{issued.seq, issued.id, s.from().bare_str(), s.from().resource(),
                              to_stored(s.xml())};
  s.mutable_xml().add_child(stanza_id_element(owner, issued.id));
  post_write(owner, s.from(), std::move(m));
  return core::hook_result::pass;
}

void message_archive::post_write(const core::jid& owner, const core::jid& with, storage::archived_message m) {
  // Beside the owner's queue, not in it: the write must not hold up (or take the queue room
  // of) the offline storage and roster work queued there; seq keeps the archive's order
  // anyway. Counted by the shutdown's drain, so that it is not cut off.
  writing_.started(owner.bare_str());
  auto task = [self = shared_from_this(), owner, with, m = std::move(m)]() mutable {
    return self->write(owner, with, std::move(m));
  };
  svc_.shards().spawn_accepted(std::move(task));
}

asio::awaitable<void> message_archive::write(core::jid owner, core::jid with, storage::archived_message m) {
  struct finished {
    pending_writes& w;
    std::string owner;
    ~finished() { w.finished(owner); }
  } in_flight{writing_, owner.bare_str()};
  auto load = load_prefs(owner);  // named: GCC 12
  auto prefs = co_await std::move(load);
  if (prefs) {
    auto ask = wanted(owner, with, std::move(*prefs));
    if (!co_await std::move(ask)) co_return;
  }
  // Without the preferences (store failure) the append is tried anyway: it fails too if the
  // store is down, and a message kept against a "never" is the lesser harm than one lost.
  const std::string id = m.id;
  auto call = svc_.store().append_archive(owner, std::move(m));
  auto done = co_await std::move(call);
  if (done) {
    ++svc_.archive_stats().written;
  } else if (done.error() != storage::storage_error::no_account) {
    ++svc_.archive_stats().failed;
    spdlog::error("im: message {} of {} with {} delivered but NOT archived: {}", id, owner.bare_str(),
                  with.str(), done.error().message());
  }
}

asio::awaitable<result<archive_prefs>> message_archive::load_prefs(core::jid owner) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = prefs_.find(owner.bare_str()); it != prefs_.end()) co_return it->second;
  }
  auto call = svc_.store().get_private(owner, std::string(prefs_key));
  auto stored = co_await std::move(call);
  if (!stored) co_return result<archive_prefs>(boost::system::in_place_error, stored.error());
  archive_prefs p = defaults_;
  if (*stored) {
    auto xml = from_stored(**stored);
    auto parsed = xml ? parse_prefs(*xml) : std::nullopt;
    if (parsed)
      p = std::move(*parsed);
    else
      spdlog::warn("im: archive preferences of {} are unreadable; using the server's default",
                   owner.bare_str());
  }
  remember(owner, p);
  co_return p;
}

void message_archive::remember(const core::jid& owner, const archive_prefs& p) {
  std::lock_guard lock(mutex_);
  if (prefs_.size() >= max_cached_prefs) prefs_.clear();  // reloaded on demand
  prefs_.insert_or_assign(owner.bare_str(), p);
}

asio::awaitable<bool> message_archive::wanted(core::jid owner, core::jid with, archive_prefs p) {
  const auto other = with.bare_str();
  if (listed(p.never, other)) co_return false;
  if (listed(p.always, other)) co_return true;
  if (p.default_mode != archive_prefs::mode::roster) co_return p.default_mode == archive_prefs::mode::always;
  auto load = svc_.store().load_roster(owner);  // not the shard-confined cache: off the shard
  auto r = co_await std::move(load);
  co_return r&& roster_cache::find(*r, with.bare()) != nullptr;
}

core::hook_result message_archive::command(core::stanza& s) {
  if (!is_request(s)) return core::hook_result::handled;
  if (!from_owner(s)) {
    svc_.router().bounce(s, core::stanza_error(core::condition::forbidden, core::error_type::auth,
                                               "Only the owner may read or configure an archive"));
    return core::hook_result::handled;
  }
  const auto* p = payload(s);
  const core::jid owner = s.to();
  if (p->name() == "prefs") {
    auto task = [self = shared_from_this(), s] { return self->answer_prefs(s); };
    svc_.post(owner, s, std::move(task));
  } else if (p->name() == "query" && s.type() == "get") {
    svc_.router().route(make_result(s, mam_query_form()));
  } else if (p->name() == "query") {
    auto task = [self = shared_from_this(), s] { return self->answer_query(s); };
    svc_.post(owner, s, std::move(task));
  } else {
    svc_.router().bounce(s, core::stanza_error(core::condition::feature_not_implemented));
  }
  return core::hook_result::handled;
}

asio::awaitable<void> message_archive::answer_prefs(core::stanza s) {
  const core::jid owner = s.to();
  if (s.type() == "get") {
    auto load = load_prefs(owner);
    auto prefs = co_await std::move(load);
    if (!prefs) co_return bounce_store_error(svc_.router(), s);
    co_return svc_.router().route(make_result(s, prefs_element(*prefs)));
  }
  auto parsed = parse_prefs(*payload(s));
  if (!parsed) {
    co_return svc_.router().bounce(
        s, core::stanza_error(core::condition::bad_request, core::error_type::modify,
                              "default must be always, never or roster, and every <jid/> a valid JID"));
  }
  const core::element stored = prefs_element(*parsed);
  auto call = svc_.store().put_private(owner, std::string(prefs_key), to_stored(stored));
  if (auto done = co_await std::move(call); !done) co_return bounce_store_error(svc_.router(), s);
  remember(owner, *parsed);
  svc_.router().route(make_result(s, stored));
}

asio::awaitable<void> message_archive::answer_query(core::stanza s) {
  const core::jid owner = s.to();
  auto parsed = parse_mam_query(*payload(s), svc_.config().archive.max_page);
  if (auto* e = std::get_if<core::stanza_error>(&parsed)) co_return svc_.router().bounce(s, *e);
  auto& request = std::get<mam_request>(parsed);
  auto settled = writing_.settled(owner.bare_str(), std::chrono::seconds(5));  // read your own writes
  co_await std::move(settled);
  auto call = svc_.store().query_archive(owner, request.query);
  auto page = co_await std::move(call);
  if (!page) co_return bounce_store_error(svc_.router(), s);
  if (page->missing_ref)
    co_return svc_.router().bounce(
        s, core::stanza_error(core::condition::item_not_found, core::error_type::cancel,
                              "A message id in the query is not in the archive"));
  // Straight to the asking session, in order, and never through the hooks (not archived).
  auto ep = svc_.router().sessions().find(s.from());
  if (!ep) co_return;
  for (auto& m : mam_results(owner, s.from(), request.queryid, *page)) ep->deliver(std::move(m));
  ep->deliver(make_result(s, mam_fin(*page)));
}

void message_archive::start_retention() {
  if (svc_.config().archive.retention_days == 0) return;
  timer_ = std::make_shared<asio::steady_timer>(svc_.executor());
  asio::co_spawn(svc_.executor(), retention_loop(), asio::detached);
}

void message_archive::stop() {
  if (auto t = timer_) asio::post(t->get_executor(), [t] { t->cancel(); });
}

asio::awaitable<void> message_archive::retention_loop() {
  auto self = shared_from_this();
  auto timer = timer_;
  for (;;) {
    using namespace std::chrono;
    const auto keep = hours(24) * svc_.config().archive.retention_days;
    const auto cutoff = duration_cast<microseconds>((system_clock::now() - keep).time_since_epoch()).count();
    auto call = svc_.store().expire_archive(cutoff);
    auto n = co_await std::move(call);
    if (!n)
      spdlog::warn("im: deleting archived messages older than {} days: {}",
                   svc_.config().archive.retention_days, n.error().message());
    else if (*n)
      spdlog::info("im: deleted {} archived messages older than {} days", *n,
                   svc_.config().archive.retention_days);
    timer->expires_after(hours(1));
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // stopping
  }
}

void install_archive(service& svc) {
  auto a = std::make_shared<message_archive>(svc);
  auto& r = svc.router();
  for (auto target : {core::route_target::full, core::route_target::bare})
    r.add_hook(core::stanza_kind::message, target, archive_priority,
               [a](core::stanza& s) { return a->inbound(s); });
  svc.add_outbound_hook(core::stanza_kind::message, archive_priority,
                        [a](core::endpoint& from, core::stanza& s) { return a->outbound(from, s); });
  svc.add_outbound_hook(core::stanza_kind::message, INT_MIN,
                        [a](core::endpoint& from, core::stanza& s) { return a->finish_outbound(from, s); });
  if (!svc.config().archive.enabled) return;  // forged ids are still stripped
  r.add_iq_handler(core::route_target::bare, std::string(mam_ns),
                   [a](core::stanza& s) { return a->command(s); });
  svc.on_close([a] { a->stop(); });
  a->start_retention();
  svc.add_account_feature(std::string(mam_ns));
  svc.add_account_feature(std::string(mam_ns) + "#extended");
  svc.add_account_feature(std::string(sid_ns));
}

}  // namespace ofs::im
