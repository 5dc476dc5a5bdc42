#include "server/xmpp/sm_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xmpp/c2s_session.hpp"
#include "server/xmpp/resumption_table.hpp"

namespace ofs::xmpp {
namespace {

core::stanza message(const std::string& id) {
  core::element e("message", "jabber:client");
  e.set_attr("id", id);
  return core::stanza::from_element(std::move(e)).value();
}

std::vector<std::string> ids(const std::vector<outbound_entry>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.emplace_back(e.s.id());
  return out;
}

using strings = std::vector<std::string>;

TEST(outbound_queue, without_stream_management_entries_leave_when_written) {
  outbound_queue q;
  q.push({message("a"), {}});
  q.push({message("b"), {}});
  EXPECT_EQ(ids(q.take_unwritten(false)), (strings{"a", "b"}));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.sent(), 0u);  // nothing counts before stream management
}

TEST(outbound_queue, an_ack_releases_what_it_covers_in_order_and_calls_nothing_itself) {
  outbound_queue q;
  int confirmed = 0;
  q.push({message("a"), [&](bool ok) { confirmed += ok; }});
  q.push({message("b"), {}});
  q.push({message("c"), {}});
  EXPECT_EQ(ids(q.take_unwritten(true)), (strings{"a", "b", "c"}));
  EXPECT_TRUE(q.take_unwritten(true).empty());  // written once
  auto done = q.ack(2);
  ASSERT_TRUE(done);
  EXPECT_EQ(ids(*done), (strings{"a", "b"}));
  ASSERT_TRUE((*done)[0].received);  // handed back for the caller to confirm
  EXPECT_EQ(confirmed, 0);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.acked(), 2u);
  EXPECT_EQ(q.sent(), 3u);
}

TEST(outbound_queue, a_long_run_of_partial_acks_and_new_stanzas_keeps_order_and_loses_nothing) {
  // The queue moves its live part down as acks free its front: nothing may be skipped, doubled
  // or reordered across those moves, nor across a burst drained to empty.
  outbound_queue q;
  int next_pushed = 0, next_acked = 0;
  for (int round = 0; round < 200; ++round) {
    const int burst = round % 50 == 0 ? 1000 : 7;
    for (int i = 0; i < burst; ++i) q.push({message(std::to_string(next_pushed++)), {}});
    const auto written = q.take_unwritten(true);
    ASSERT_FALSE(written.empty());
    EXPECT_EQ(std::string(written.back().s.id()), std::to_string(next_pushed - 1));
    // The client acknowledges all but the last 3 it has seen.
    const auto h = static_cast<std::uint32_t>(q.sent() - std::min<std::uint64_t>(3, q.unacked_written()));
    auto done = q.ack(h);
    ASSERT_TRUE(done);
    for (const auto& e : *done) ASSERT_EQ(std::string(e.s.id()), std::to_string(next_acked++));
  }
  auto done = q.ack(static_cast<std::uint32_t>(q.sent()));
  ASSERT_TRUE(done);
  for (const auto& e : *done) ASSERT_EQ(std::string(e.s.id()), std::to_string(next_acked++));
  EXPECT_EQ(next_acked, next_pushed);
  EXPECT_EQ(q.size(), 0u);
}

TEST(outbound_queue, an_ack_beyond_what_was_written_is_refused_and_changes_nothing) {
  outbound_queue q;
  q.push({message("a"), {}});
  q.push({message("b"), {}});
  ASSERT_EQ(q.take_unwritten(true).size(), 2u);
  q.push({message("c"), {}});  // queued, not written: an ack cannot cover it
  EXPECT_FALSE(q.ack(3));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_TRUE(q.ack(2));
  EXPECT_TRUE(q.ack(2));  // the same h again acknowledges nothing more
  EXPECT_EQ(q.size(), 1u);
}

TEST(outbound_queue, rewind_sends_the_unacknowledged_again) {
  outbound_queue q;
  for (auto id : {"a", "b", "c"}) q.push({message(id), {}});
  ASSERT_EQ(q.take_unwritten(true).size(), 3u);
  ASSERT_TRUE(q.ack(1));
  q.rewind();
  EXPECT_EQ(ids(q.take_unwritten(true)), (strings{"b", "c"}));
  EXPECT_EQ(q.sent(), 3u);
}

TEST(outbound_queue, h_wraps_at_two_to_the_32) {
  outbound_queue q((std::uint64_t{1} << 32) - 1);  // a long-lived session: 2^32 - 1 acknowledged
  for (auto id : {"a", "b", "c"}) q.push({message(id), {}});
  ASSERT_EQ(q.take_unwritten(true).size(), 3u);
  EXPECT_FALSE(q.ack(3));  // 2^32 + 3 - 1 - 2^32: four, but only three went out
  auto done = q.ack(1);    // 2^32 + 1 mod 2^32: two of them
  ASSERT_TRUE(done);
  EXPECT_EQ(ids(*done), (strings{"a", "b"}));
  EXPECT_TRUE(q.ack(2));
  EXPECT_EQ(q.size(), 0u);
}

TEST(inbound_counter, the_handled_count_is_the_unbroken_prefix) {
  inbound_counter c;
  auto a = c.receive(), b = c.receive(), d = c.receive();
  c.handled(b);
  EXPECT_EQ(c.handled(), 0u);  // a is still being handled
  c.handled(d);
  c.handled(a);
  EXPECT_EQ(c.handled(), 3u);
  c.handled(a);   // twice: ignored
  c.handled(99);  // never received: ignored
  EXPECT_EQ(c.handled(), 3u);
}

TEST(inbound_counter, an_ack_is_due_once_everything_before_it_is_handled) {
  inbound_counter c;
  auto a = c.receive();
  c.owe(inbound_counter::answer_kind::ack);  // covers a
  auto b = c.receive();
  c.owe(inbound_counter::answer_kind::ack);  // covers a and b
  EXPECT_FALSE(c.has_due());
  c.handled(b);
  EXPECT_FALSE(c.has_due());  // in order: a first
  c.handled(a);
  auto due = c.take_due();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].h, 2u);  // both see the current count
  EXPECT_EQ(due[1].h, 2u);
  EXPECT_FALSE(c.has_due());
}

TEST(inbound_counter, with_nothing_received_an_ack_is_due_at_once) {
  inbound_counter c;
  c.owe(inbound_counter::answer_kind::resumed);
  auto due = c.take_due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, inbound_counter::answer_kind::resumed);
  EXPECT_EQ(due[0].h, 0u);
}

TEST(resumption_table, ids_are_random_and_bound_to_the_account) {
  boost::asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  im::service svc{router, store, io.get_executor(), {}};
  sm_options opts;
  resumption_table table;
  opts.resumptions = &table;
  auto alice = std::make_shared<c2s_session>(core::jid::parse("alice@example.com/a").value(), "", svc, opts);
  auto bob = std::make_shared<c2s_session>(core::jid::parse("bob@example.com/b").value(), "", svc, opts);
  const auto id_a = table.add(alice), id_b = table.add(bob);
  EXPECT_EQ(id_a.size(), 32u);  // 128 bits, hex
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(table.find(id_a, core::jid::parse("alice@example.com").value()), alice);
  EXPECT_EQ(table.find(id_a, core::jid::parse("bob@example.com").value()), nullptr);  // not bob's
  EXPECT_EQ(table.find("nonsense", core::jid::parse("alice@example.com").value()), nullptr);
  table.remove(id_a, bob.get());  // not the one registered there: stays
  EXPECT_EQ(table.size(), 2u);
  table.remove(id_a, alice.get());
  EXPECT_EQ(table.find(id_a, core::jid::parse("alice@example.com").value()), nullptr);
  EXPECT_TRUE(table.accepting());
}

}  // namespace
}  // namespace ofs::xmpp
