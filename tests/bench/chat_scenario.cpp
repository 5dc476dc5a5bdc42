// Scenario (b): K pairs of users chatting (u1 <-> u2, u3 <-> u4, ...), both ways, to the
// bare JID. First at the highest rate the server sustains with a fixed window of messages in
// flight per sender, then at a fixed total rate for latency. Latency runs from send to
// receipt, both stamped by this process's steady clock; the send stamp is in the body.
// With --sm every client enables stream management and asks for acks as it sends; at the
// end everything sent must have been acked.
#include <boost/asio/awaitable.hpp>
#include <limits>
#include <string>
#include <vector>

#include "tests/bench/scenario.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

class chat_scenario {
public:
  chat_scenario(asio::io_context& io, const bench_options& o) : o_(o), clients_(io, o, false) {}
  asio::awaitable<int> main();

private:
  enum class mode { quiet, max_rate, paced };
  void send_one(std::size_t i);
  void on_stanza(std::size_t i, const core::element& e);
  asio::awaitable<void> measure_max();
  asio::awaitable<void> measure_paced();
  asio::awaitable<bool> drain();
  asio::awaitable<std::uint64_t> unacked();
  void start_window();

  const bench_options o_;
  fleet clients_;
  std::vector<std::string> head_;    // "<message to='partner' ...><body>" per client
  std::vector<unsigned> in_flight_;  // sent by client i, not yet received by its partner
  std::uint64_t sent_ = 0, received_ = 0, errors_ = 0, in_window_ = 0;
  mode mode_ = mode::quiet;
  bool measuring_ = false;  // receipts count towards the window's throughput
  // Latency counts every message sent in the window, also those received after it (while
  // draining): an overloaded server's slowest messages would otherwise go unseen.
  std::int64_t window_start_ns_ = 0, window_end_ns_ = 0;
  latencies latency_;
};

void chat_scenario::send_one(std::size_t i) {
  std::string m = head_[i];
  m += make_body(o_.body_bytes);
  m += "</body></message>";
  clients_[i].send_stanza(m);
  ++in_flight_[i];
  ++sent_;
}

void chat_scenario::on_stanza(std::size_t i, const core::element& e) {
  if (e.name() != "message") return;
  if (e.attr("type") == "error") {
    ++errors_;
    return;
  }
  const auto* body = e.child("body");
  if (!body) return;
  const std::int64_t stamp = stamp_of(body->text());
  if (stamp < 0) return;
  const std::size_t sender = i ^ 1;
  if (in_flight_[sender] > 0) --in_flight_[sender];
  ++received_;
  if (stamp >= window_start_ns_ && stamp < window_end_ns_) latency_.add(now_ns() - stamp);
  if (measuring_ && stamp >= window_start_ns_) ++in_window_;
  if (mode_ == mode::max_rate) send_one(sender);  // keeps the sender's window full
}

void chat_scenario::start_window() {
  latency_.clear();
  in_window_ = 0;
  window_start_ns_ = now_ns();
  window_end_ns_ = std::numeric_limits<std::int64_t>::max();
  measuring_ = true;
}

asio::awaitable<bool> chat_scenario::drain() {
  auto all_in = [this] { return received_ + errors_ >= sent_; };
  const bool drained = co_await wait_until(all_in, std::chrono::seconds(10));
  co_return drained;
}

// Stream management: asks every client's server for an ack and waits (up to 10 s) until
// everything sent is acked; what is still unacked then.
asio::awaitable<std::uint64_t> chat_scenario::unacked() {
  auto total = [this] {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < clients_.size(); ++i) n += clients_[i].unacked();
    return n;
  };
  for (std::size_t i = 0; i < clients_.size(); ++i) clients_[i].request_ack();
  auto all_acked = [&] { return total() == 0; };
  co_await wait_until(all_acked, std::chrono::seconds(10));
  co_return total();
}

asio::awaitable<void> chat_scenario::measure_max() {
  mode_ = mode::max_rate;
  for (std::size_t i = 0; i < clients_.size(); ++i)
    for (unsigned w = 0; w < o_.window; ++w) send_one(i);
  co_await sleep_for(std::chrono::duration<double>(o_.warmup));
  start_window();
  phase p(o_.server_pid);
  co_await sleep_for(std::chrono::duration<double>(o_.duration));
  p.stop();
  measuring_ = false;
  window_end_ns_ = now_ns();
  mode_ = mode::quiet;
  result("chat.max_msg_per_s", in_window_ / p.seconds());
  result("chat.max_p50_ms", latency_.percentile_ms(50));
  result("chat.max_p99_ms", latency_.percentile_ms(99));
  p.report("chat.max");
  co_await drain();
}

asio::awaitable<void> chat_scenario::measure_paced() {
  // Sends what the rate asks for at each tick; a short tick keeps the bursts small.
  mode_ = mode::paced;
  const auto tick = std::chrono::microseconds(250);
  const auto start = clock::now();
  const auto measure_from =
      start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o_.warmup));
  const auto end =
      measure_from + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o_.duration));
  std::uint64_t paced = 0, sent_at_window = 0;
  std::size_t next = 0;
  std::optional<phase> p;
  for (auto now = clock::now(); now < end; now = clock::now()) {
    if (!p && now >= measure_from) {
      start_window();
      p.emplace(o_.server_pid);
      sent_at_window = paced;
    }
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const auto target = static_cast<std::uint64_t>(elapsed * o_.rate);
    for (; paced < target; ++paced, next = (next + 1) % clients_.size()) send_one(next);
    co_await sleep_for(tick);
  }
  if (p) p->stop();
  measuring_ = false;
  window_end_ns_ = now_ns();
  mode_ = mode::quiet;
  co_await drain();  // the window's messages still in flight count too
  if (p) {
    result("chat.paced_rate", (paced - sent_at_window) / p->seconds());
    result("chat.paced_p50_ms", latency_.percentile_ms(50));
    result("chat.paced_p99_ms", latency_.percentile_ms(99));
    result("chat.paced_p999_ms", latency_.percentile_ms(99.9));
    result("chat.paced_max_ms", latency_.percentile_ms(100));
    p->report("chat.paced");
  }
}

asio::awaitable<int> chat_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "chat");
  const std::size_t n = 2 * static_cast<std::size_t>(o_.pairs);
  for (std::size_t i = 0; i < n; ++i) {
    client& c = clients_.add(o_.user_prefix + std::to_string(i + 1));
    head_.push_back(pair_message_head(o_, i));
    c.on_stanza = [this, i](const core::element& e) { on_stanza(i, e); };
  }
  in_flight_.assign(n, 0);
  const std::size_t failed = co_await clients_.login_all(o_.login_concurrency);
  if (failed) {
    note(std::to_string(failed) + " logins failed, first: " + clients_.first_error());
    clients_.close_all();
    co_return 1;
  }
  co_await measure_max();
  co_await measure_paced();
  const bool complete = co_await drain();
  result("chat.sent", static_cast<double>(sent_));
  result("chat.lost", static_cast<double>(sent_ - std::min(sent_, received_ + errors_)));
  result("chat.errors", static_cast<double>(errors_));
  std::uint64_t never_acked = 0;
  if (o_.sm) {
    never_acked = co_await unacked();
    result("chat.unacked", static_cast<double>(never_acked));
  }
  const std::size_t dropped = clients_.lost_connections();
  result("chat.lost_sessions", static_cast<double>(dropped));
  clients_.close_all();
  co_return complete&& errors_ == 0 && dropped == 0 && never_acked == 0 ? 0 : 1;
}

}  // namespace

int run_chat(const bench_options& o) { return run_scenario<chat_scenario>(o); }

}  // namespace ofs::bench
