// Scenario (c): presence fan-out. G cliques of R + 1 users (p1.. on the command line's
// prefix), everyone in a clique subscribed both ways to everyone else, so each roster has R
// contacts. The rosters are made over XMPP first (subscribe / subscribed, RFC 6121 3), or
// beforehand with the server's own tool (--rosters-ready: only checked at login); then each
// user sends presence updates with a few in flight, and every copy a contact receives
// counts as one delivery.
#include <boost/asio/awaitable.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/bench/scenario.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

class presence_scenario {
public:
  presence_scenario(asio::io_context& io, const bench_options& o) : o_(o), clients_(io, o, true) {}
  asio::awaitable<int> main();

private:
  struct user_state {
    std::vector<bool> asked;                        // sent subscribe to the clique's k-th member
    std::unordered_set<std::string> both;           // contacts a roster push showed as 'both'
    std::uint64_t updates_sent = 0, delivered = 0;  // its updates, and copies others got
  };
  std::size_t clique_size() const { return o_.roster + 1; }
  std::size_t first_of_clique(std::size_t i) const { return i / clique_size() * clique_size(); }
  std::string jid_of(std::size_t i) const {
    return o_.roster_prefix + std::to_string(i + 1) + "@" + o_.domain;
  }
  void subscribe(std::size_t from, std::size_t to);
  void on_subscription(std::size_t i, const core::element& e);
  void on_update(std::size_t i, const core::element& e);
  void send_update(std::size_t i);
  asio::awaitable<bool> build_rosters();
  asio::awaitable<void> measure();

  const bench_options o_;
  fleet clients_;
  std::vector<user_state> users_;
  std::size_t complete_rosters_ = 0;
  bool updating_ = false, measuring_ = false;
  std::uint64_t expected_ = 0, delivered_ = 0, in_window_ = 0;
};

void presence_scenario::subscribe(std::size_t from, std::size_t to) {
  users_[from].asked[to - first_of_clique(to)] = true;
  clients_[from].send("<presence type='subscribe' to='" + jid_of(to) + "'/>");
}

// Answers a request with 'subscribed' and asks back once; counts contacts that reached 'both'.
void presence_scenario::on_subscription(std::size_t i, const core::element& e) {
  if (e.name() == "presence" && e.attr("type") == "subscribe") {
    const std::size_t from = index_of(e.attr("from"), o_.roster_prefix);
    if (from == 0 || from > users_.size()) return;
    clients_[i].send("<presence type='subscribed' to='" + jid_of(from - 1) + "'/>");
    if (!users_[i].asked[from - 1 - first_of_clique(from - 1)]) subscribe(i, from - 1);
    return;
  }
  const auto* query =
      e.name() == "iq" && e.attr("type") == "set" ? e.child("query", "jabber:iq:roster") : nullptr;
  if (!query) return;
  auto& u = users_[i];
  for (const auto& item : query->children())
    if (item.name() == "item" && item.attr("subscription") == "both") {
      const bool added = u.both.insert(std::string(item.attr("jid"))).second;
      if (added && u.both.size() == o_.roster) ++complete_rosters_;
    }
}

void presence_scenario::send_update(std::size_t i) {
  auto& u = users_[i];
  ++u.updates_sent;
  expected_ += o_.roster;
  clients_[i].send("<presence><status>b" + std::to_string(u.updates_sent) + "</status></presence>");
}

// An update from a contact: one delivery, and its sender may send the next one.
void presence_scenario::on_update(std::size_t i, const core::element& e) {
  if (e.name() != "presence" || !e.attr("type").empty()) return;
  const std::size_t from = index_of(e.attr("from"), o_.roster_prefix);
  if (from == 0 || from - 1 == i || from > users_.size()) return;
  if (!e.child_text("status").starts_with("b")) return;  // a probe's answer, not an update
  auto& sender = users_[from - 1];
  ++sender.delivered;
  ++delivered_;
  if (measuring_) ++in_window_;
  // Another update fits when the sender's copies still on their way leave room for R more.
  const auto outstanding = static_cast<std::int64_t>(sender.updates_sent * o_.roster) -
                           static_cast<std::int64_t>(sender.delivered);
  if (updating_ && outstanding <= static_cast<std::int64_t>((o_.fanout_window - 1) * o_.roster))
    send_update(from - 1);
}

asio::awaitable<bool> presence_scenario::build_rosters() {
  phase p(o_.server_pid);
  for (std::size_t i = 0; i < clients_.size(); ++i)
    for (std::size_t j = i + 1; j < first_of_clique(i) + clique_size(); ++j) subscribe(i, j);
  auto all_done = [this] { return complete_rosters_ == users_.size(); };
  const bool done = co_await wait_until(all_done, std::chrono::seconds(120));
  p.stop();
  result("presence.roster_setup_s", p.seconds());
  if (!done)
    note("rosters incomplete after 120 s: " + std::to_string(complete_rosters_) + " of " +
         std::to_string(users_.size()) + " users have every contact at 'both'");
  co_return done;
}

asio::awaitable<void> presence_scenario::measure() {
  updating_ = true;
  for (std::size_t i = 0; i < clients_.size(); ++i)
    for (unsigned w = 0; w < o_.fanout_window; ++w) send_update(i);
  co_await sleep_for(std::chrono::duration<double>(o_.warmup));
  in_window_ = 0;
  measuring_ = true;
  phase p(o_.server_pid);
  co_await sleep_for(std::chrono::duration<double>(o_.duration));
  p.stop();
  measuring_ = false;
  updating_ = false;
  result("presence.deliveries_per_s", in_window_ / p.seconds());
  result("presence.updates_per_s", in_window_ / p.seconds() / o_.roster);
  p.report("presence");
  auto all_in = [this] { return delivered_ >= expected_; };
  co_await wait_until(all_in, std::chrono::seconds(10));
}

asio::awaitable<int> presence_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "presence");
  const std::size_t n = static_cast<std::size_t>(o_.groups) * clique_size();
  users_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    users_[i].asked.assign(clique_size(), false);
    client& c = clients_.add(o_.roster_prefix + std::to_string(i + 1));
    c.on_stanza = [this, i](const core::element& e) { on_subscription(i, e); };
  }
  const std::size_t failed = co_await clients_.login_all(o_.login_concurrency);
  if (failed) {
    note(std::to_string(failed) + " logins failed, first: " + clients_.first_error());
    clients_.close_all();
    co_return 1;
  }
  std::size_t ready = 0;
  for (std::size_t i = 0; i < n; ++i) ready += clients_[i].roster_both() == o_.roster;
  bool built = ready == n;
  if (!o_.rosters_ready) built = co_await build_rosters();
  if (o_.rosters_ready && !built)
    note("only " + std::to_string(ready) + " of " + std::to_string(n) + " rosters have " +
         std::to_string(o_.roster) + " contacts at 'both'");
  if (!built) {
    clients_.close_all();
    co_return 1;
  }
  co_await sleep_for(std::chrono::seconds(1));  // probes and their answers settle
  for (std::size_t i = 0; i < n; ++i)
    clients_[i].on_stanza = [this, i](const core::element& e) { on_update(i, e); };
  co_await measure();
  result("presence.lost", static_cast<double>(expected_ - std::min(expected_, delivered_)));
  const std::size_t dropped = clients_.lost_connections();
  result("presence.lost_sessions", static_cast<double>(dropped));
  clients_.close_all();
  co_return delivered_ >= expected_&& dropped == 0 ? 0 : 1;
}

}  // namespace

int run_presence(const bench_options& o) { return run_scenario<presence_scenario>(o); }

}  // namespace ofs::bench
