// Scenario (d): one multi-user chat room (XEP-0045) of M occupants, T of them sending groupchat
// messages with a few in flight (every occupant in a room of 100, fewer in bigger rooms); every
// copy an occupant receives (its own echo included) counts as one delivery. Only for servers
// with a MUC service.
#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "tests/bench/scenario.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

constexpr std::string_view muc_user_ns = "http://jabber.org/protocol/muc#user";

class muc_scenario {
public:
  muc_scenario(asio::io_context& io, const bench_options& o)
      : o_(o), clients_(io, o, false), room_("bench@" + o.muc_service) {}
  asio::awaitable<int> main();

private:
  struct occupant {
    bool joined = false, created = false;
    std::uint64_t sent = 0, delivered = 0;
  };
  void join(std::size_t i);
  void on_stanza(std::size_t i, const core::element& e);
  void send_message(std::size_t i);
  asio::awaitable<bool> join_all();

  const bench_options o_;
  fleet clients_;
  const std::string room_;
  std::vector<occupant> occupants_;
  std::size_t talkers_ = 0;
  std::size_t joined_ = 0;
  bool configured_ = false, sending_ = false, measuring_ = false;
  std::uint64_t expected_ = 0, delivered_ = 0, in_window_ = 0;
};

void muc_scenario::join(std::size_t i) {
  clients_[i].send("<presence to='" + room_ + "/" + clients_[i].user() +
                   "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
}

void muc_scenario::send_message(std::size_t i) {
  ++occupants_[i].sent;
  expected_ += occupants_.size();
  clients_[i].send("<message type='groupchat' to='" + room_ + "'><body>" + make_body(o_.body_bytes) +
                   "</body></message>");
}

void muc_scenario::on_stanza(std::size_t i, const core::element& e) {
  const auto from = e.attr("from");
  const auto slash = from.find('/');
  const auto nick = slash == std::string_view::npos ? std::string_view() : from.substr(slash + 1);
  if (e.name() == "iq" && e.attr("id") == "instant" && e.attr("type") == "result") configured_ = true;
  if (e.name() == "presence" && nick == clients_[i].user() && e.attr("type").empty()) {
    auto& me = occupants_[i];
    if (const auto* x = e.child("x", muc_user_ns))
      for (const auto& status : x->children()) me.created = me.created || status.attr("code") == "201";
    if (!me.joined) ++joined_;
    me.joined = true;
    return;
  }
  if (e.name() != "message" || e.attr("type") != "groupchat" || !e.child("body")) return;
  const std::size_t sender = index_of(nick, o_.user_prefix);
  if (sender == 0 || sender > occupants_.size()) return;
  auto& s = occupants_[sender - 1];
  ++s.delivered;
  ++delivered_;
  if (measuring_) ++in_window_;
  const auto m = static_cast<std::int64_t>(occupants_.size());
  const auto outstanding = static_cast<std::int64_t>(s.sent) * m - static_cast<std::int64_t>(s.delivered);
  if (sending_ && sender <= talkers_ && outstanding <= (static_cast<std::int64_t>(o_.fanout_window) - 1) * m)
    send_message(sender - 1);
}

asio::awaitable<bool> muc_scenario::join_all() {
  // The first occupant creates the room; XEP-0045 10.1.2: a new room may stay locked until
  // its owner accepts the default configuration ("instant room").
  join(0);
  auto first_in = [this] { return joined_ == 1; };
  const bool first_joined = co_await wait_until(first_in, std::chrono::seconds(10));
  if (!first_joined) co_return false;
  if (occupants_[0].created) {
    clients_[0].send("<iq type='set' id='instant' to='" + room_ +
                     "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                     "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
    auto configured = [this] { return configured_; };
    const bool unlocked = co_await wait_until(configured, std::chrono::seconds(10));
    if (!unlocked) co_return false;
  }
  // In waves: each entry sends every occupant's presence to the newcomer and the newcomer's
  // to every occupant, so a burst of thousands would queue millions of presences at once.
  for (std::size_t i = 1; i < occupants_.size();) {
    const std::size_t end = std::min(occupants_.size(), i + o_.login_concurrency);
    for (; i < end; ++i) join(i);
    auto wave_in = [this, end] { return joined_ >= end; };
    const bool wave_joined = co_await wait_until(wave_in, std::chrono::seconds(60));
    if (!wave_joined) co_return false;
  }
  co_return true;
}

asio::awaitable<int> muc_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "muc");
  occupants_.resize(o_.muc_occupants);
  talkers_ = o_.muc_talkers ? std::min<std::size_t>(o_.muc_talkers, occupants_.size())
                            : std::clamp<std::size_t>(100'000 / occupants_.size(), 1, occupants_.size());
  result("muc.talkers", static_cast<double>(talkers_));
  for (std::size_t i = 0; i < occupants_.size(); ++i) {
    client& c = clients_.add(o_.user_prefix + std::to_string(i + 1));
    c.on_stanza = [this, i](const core::element& e) { on_stanza(i, e); };
  }
  const std::size_t failed = co_await clients_.login_all(o_.login_concurrency);
  if (failed) {
    note(std::to_string(failed) + " logins failed, first: " + clients_.first_error());
    clients_.close_all();
    co_return 1;
  }
  // Memory per occupant: the server's growth from idle logged-in sessions to idle occupants of
  // the room, each read 3 s after the last activity, as the idle scenario does for sessions
  // (OFS frees an idle session's parser and buffers after [c2s] hibernate_after, 2 s).
  co_await sleep_for(std::chrono::seconds(3));
  const long rss_before = process_rss_kib(o_.server_pid);
  phase joining(o_.server_pid);
  const bool joined = co_await join_all();
  if (!joined) {
    note("only " + std::to_string(joined_) + " of " + std::to_string(occupants_.size()) +
         " occupants joined");
    clients_.close_all();
    co_return 1;
  }
  joining.stop();
  result("muc.join_s", joining.seconds());
  co_await sleep_for(std::chrono::seconds(3));
  if (const long rss_after = process_rss_kib(o_.server_pid); rss_before > 0 && rss_after > 0)
    result("muc.rss_kib_per_occupant", static_cast<double>(rss_after - rss_before) / occupants_.size());
  sending_ = true;
  for (std::size_t i = 0; i < talkers_; ++i)
    for (unsigned w = 0; w < o_.fanout_window; ++w) send_message(i);
  co_await sleep_for(std::chrono::duration<double>(o_.warmup));
  measuring_ = true;
  phase p(o_.server_pid);
  co_await sleep_for(std::chrono::duration<double>(o_.duration));
  p.stop();
  measuring_ = false;
  sending_ = false;
  result("muc.deliveries_per_s", in_window_ / p.seconds());
  result("muc.messages_per_s", in_window_ / p.seconds() / occupants_.size());  // broadcasts
  p.report("muc");
  auto all_in = [this] { return delivered_ >= expected_; };
  const bool complete = co_await wait_until(all_in, std::chrono::seconds(10));
  result("muc.lost", static_cast<double>(expected_ - std::min(expected_, delivered_)));
  clients_.close_all();
  co_return complete ? 0 : 1;
}

}  // namespace

int run_muc(const bench_options& o) { return run_scenario<muc_scenario>(o); }

}  // namespace ofs::bench
