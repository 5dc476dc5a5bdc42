#include "server/core/io_threads.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "server/core/router.hpp"
#include "server/core/tcp_listener.hpp"
#include "tests/support/wait_until.hpp"

using namespace ofs::core;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

const asio::execution_context* context_of(const asio::any_io_executor& ex) {
  return &asio::query(ex, asio::execution::context);
}

// A session as a front-end has it: on a strand of one I/O thread; deliver() posts there, and
// the body is recorded on that strand.
class strand_endpoint : public endpoint, public std::enable_shared_from_this<strand_endpoint> {
public:
  strand_endpoint(std::string address, asio::any_io_executor ex)
      : address_(jid::parse(address).value()), strand_(asio::make_strand(ex)) {}
  const jid& address() const override { return address_; }
  std::string remote_address() const override { return "127.0.0.1"; }
  std::string_view transport() const override { return "test"; }
  void deliver(stanza s) override {
    asio::post(strand_, [self = shared_from_this(), s = std::move(s)] {
      std::lock_guard lock(self->mutex_);
      self->bodies_[s.from().str()].push_back(s.xml().child("body")->text());
      if (--self->expected_ == 0) self->done_.set_value();
    });
  }
  void deliver(stanza s, std::function<void(bool)> received) override {
    deliver(std::move(s));
    received(true);
  }
  void terminate(std::string_view, std::string_view) override {}
  asio::strand<asio::any_io_executor>& strand() { return strand_; }
  void expect(std::size_t n) { expected_ = n; }
  std::future<void> done() { return done_.get_future(); }
  std::map<std::string, std::vector<std::string>> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

private:
  jid address_;
  asio::strand<asio::any_io_executor> strand_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> bodies_;  // by sender
  std::size_t expected_ = 0;
  std::promise<void> done_;
};

stanza message(const std::string& from, const std::string& to, const std::string& body) {
  element e("message", "jabber:client");
  e.set_attr("from", from).set_attr("to", to).set_attr("type", "chat");
  e.add_child(element("body", "jabber:client")).add_text(body);
  return stanza::from_element(std::move(e)).value();
}

}  // namespace

TEST(io_threads, next_goes_round_every_thread) {
  io_threads pool({3});
  std::map<const asio::execution_context*, int> uses;
  for (int i = 0; i < 9; ++i) ++uses[context_of(pool.next())];
  ASSERT_EQ(uses.size(), 3u);
  for (auto [context, n] : uses) EXPECT_EQ(n, 3);
  EXPECT_EQ(context_of(pool.executor(0)), &pool.context(0));
}

TEST(io_threads, without_affinity_every_thread_runs_one_shared_context) {
  io_threads pool({.threads = 2, .affinity = false});
  ASSERT_EQ(pool.size(), 1u);
  EXPECT_EQ(context_of(pool.next()), context_of(pool.next()));
  pool.start();
  // Two handlers that each wait for the other can only finish on two threads at once.
  std::promise<void> a, b;
  auto fa = a.get_future().share(), fb = b.get_future().share();
  std::promise<bool> done_a, done_b;
  asio::post(pool.executor(0), [&, fb] {
    a.set_value();
    done_a.set_value(fb.wait_for(10s) == std::future_status::ready);
  });
  asio::post(pool.executor(0), [&, fa] {
    b.set_value();
    done_b.set_value(fa.wait_for(10s) == std::future_status::ready);
  });
  EXPECT_TRUE(done_a.get_future().get());
  EXPECT_TRUE(done_b.get_future().get());
  pool.stop();
  pool.join();
}

TEST(io_threads, runs_what_is_posted_to_each_thread_on_that_thread_only) {
  io_threads pool({2});
  pool.start();
  std::promise<std::thread::id> first, second;
  asio::post(pool.executor(0), [&] { first.set_value(std::this_thread::get_id()); });
  asio::post(pool.executor(1), [&] { second.set_value(std::this_thread::get_id()); });
  auto a = first.get_future(), b = second.get_future();
  ASSERT_EQ(a.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(10s), std::future_status::ready);
  EXPECT_NE(a.get(), b.get());
  pool.stop();
  pool.join();
  EXPECT_FALSE(pool.running());
}

// Senders on every thread route to recipients on every thread at once: each recipient gets
// every message, and each sender's messages in the order they were sent.
TEST(io_threads, cross_thread_delivery_keeps_each_senders_order_and_loses_nothing) {
  constexpr int threads = 4, users = 8, per_sender = 2000;
  io_threads pool({threads});
  router r{{"example.com"}};
  std::vector<std::shared_ptr<strand_endpoint>> ep;
  for (int i = 0; i < users; ++i) {
    ep.push_back(std::make_shared<strand_endpoint>("u" + std::to_string(i) + "@example.com/r", pool.next()));
    ep.back()->expect(static_cast<std::size_t>((users - 1) * per_sender));
    r.bind(ep.back());
    r.sessions().set_presence(ep.back()->address(), message("u@example.com", "u@example.com", ""), 0);
  }
  pool.start();
  for (int i = 0; i < users; ++i)
    asio::post(ep[i]->strand(), [&r, &ep, i] {
      for (int n = 0; n < per_sender; ++n)
        for (int to = 0; to < users; ++to)
          if (to != i)
            r.route(message(ep[i]->address().str(), ep[to]->address().bare_str(), std::to_string(n)));
    });
  for (auto& e : ep) ASSERT_EQ(e->done().wait_for(60s), std::future_status::ready) << e->address().str();
  pool.stop();
  pool.join();
  for (int to = 0; to < users; ++to) {
    auto got = ep[to]->bodies();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(users - 1));
    for (auto& [from, bodies] : got) {
      ASSERT_EQ(bodies.size(), static_cast<std::size_t>(per_sender)) << from << " -> " << to;
      for (int n = 0; n < per_sender; ++n) ASSERT_EQ(bodies[n], std::to_string(n)) << from << " -> " << to;
    }
  }
}

TEST(io_threads, a_listener_places_its_connections_on_every_thread) {
  io_threads pool({2});
  std::mutex mutex;
  std::vector<const asio::execution_context*> placed;
  std::vector<asio::ip::tcp::socket> kept;
  std::promise<void> all;
  tcp_listener l(
      pool.executor(0), "test", 100,
      [&](asio::ip::tcp::socket s, connection_tracker&) {
        std::lock_guard lock(mutex);
        placed.push_back(context_of(s.get_executor()));
        kept.push_back(std::move(s));
        if (placed.size() == 4) all.set_value();
      },
      [](asio::ip::tcp::socket&) {});
  l.set_placement([&] { return pool.next(); });
  ASSERT_FALSE(l.listen({asio::ip::make_address("127.0.0.1"), 0}));
  pool.start();
  l.start();
  asio::io_context client;
  std::vector<asio::ip::tcp::socket> clients;
  for (int i = 0; i < 4; ++i) clients.emplace_back(client).connect(l.local_endpoint());
  ASSERT_EQ(all.get_future().wait_for(10s), std::future_status::ready);
  l.stop_accepting();
  {
    std::lock_guard lock(mutex);
    const std::set<const asio::execution_context*> both{&pool.context(0), &pool.context(1)};
    EXPECT_EQ(std::set<const asio::execution_context*>(placed.begin(), placed.end()), both);
  }
  pool.stop();
  pool.join();
  kept.clear();  // with no thread left on their contexts
}

TEST(io_threads, a_slice_request_sets_the_calling_threads_slice_where_the_kernel_has_them) {
  EXPECT_EQ(request_thread_slice(std::chrono::microseconds(0)), "");  // nothing asked
  std::uint64_t slice_ns = 0;
  std::thread t([&] {
    if (request_thread_slice(std::chrono::microseconds(200)).empty())
      slice_ns = current_thread_slice().count();
  });
  t.join();
  // Linux 6.12 and later report the slice; older kernels take the call and report none.
  EXPECT_TRUE(slice_ns == 200'000 || slice_ns == 0) << slice_ns;
}

TEST(io_threads, idle_threads_park_and_come_back_when_the_work_needs_them) {
  io_thread_options o;
  o.threads = 2;
  o.affinity = false;
  o.park_idle = true;
  io_threads pool(o);
  pool.start();
  EXPECT_TRUE(ofs::test::wait_until([&] { return pool.working() == 1; }, 10s)) << pool.working();

  // Chains of handlers that keep the working thread busy: the second comes back for them.
  std::atomic<bool> busy{true};
  std::atomic<int> chains{0};
  std::function<void()> burn = [&] {
    const auto until = std::chrono::steady_clock::now() + 2ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    if (busy) {
      asio::post(pool.context(), burn);
    } else {
      --chains;
    }
  };
  for (int i = 0; i < 4; ++i) {
    ++chains;
    asio::post(pool.context(), burn);
  }
  EXPECT_TRUE(ofs::test::wait_until([&] { return pool.working() == 2; }, 10s)) << pool.working();

  busy = false;
  EXPECT_TRUE(ofs::test::wait_until([&] { return chains == 0; }, 10s));
  EXPECT_TRUE(ofs::test::wait_until([&] { return pool.working() == 1; }, 10s)) << pool.working();
  pool.stop();
  pool.join();
}
