// XEP-0198 and XEP-0352 through whole client streams on fake transports: a real router and IM
// layer on a memory store that can hold its calls, so the ack's wait for storage shows.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <future>
#include <regex>

#include "server/auth/base64.hpp"
#include "server/auth/scram.hpp"
#include "server/storage/fault_injecting_store.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xmpp/resumption_table.hpp"
#include "tests/unit/xmpp/fake_transport.hpp"

namespace ofs::xmpp::test {
namespace {
namespace asio = boost::asio;
using op = storage::fault_injecting_store::op;

const std::string header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";
const std::string sm = "xmlns=\"urn:xmpp:sm:3\"";

struct client {
  std::shared_ptr<fake_transport> t;
  std::string id;  // the SM-ID from <enabled/>
  std::string& out() { return t->output; }
  bool has(std::string_view what) const { return t->output.find(what) != std::string::npos; }
  std::size_t count(const std::string& what) const {
    std::size_t n = 0;
    for (auto p = t->output.find(what); p != std::string::npos; p = t->output.find(what, p + 1)) ++n;
    return n;
  }
};

inline std::vector<storage::offline_message> stored_for(
    asio::io_context& io, storage::store& st, const char* user,
    const std::function<bool(const std::function<bool()>&)>& wait) {
  auto fut = asio::co_spawn(io, st.load_offline(core::jid::parse(user).value()), asio::use_future);
  EXPECT_TRUE(wait([&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
  auto msgs = fut.get();
  return msgs ? *msgs : std::vector<storage::offline_message>{};
}

class stream_management_test : public ::testing::Test {
protected:
  stream_management_test() {
    options.c2s.domains = {"example.com"};
    options.c2s.sm.resumptions = &table;
    svc.install();
    for (auto user : {"alice", "bob"}) {
      auto creds = std::vector{auth::make_credentials(auth::scram_hash::sha256, "pw", 4096)};
      auto fut =
          asio::co_spawn(io,
                         backend.create_account(core::jid::parse(std::string(user) + "@example.com").value(),
                                                std::move(creds)),
                         asio::use_future);
      run_until([&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
      EXPECT_TRUE(fut.get());
    }
  }
  ~stream_management_test() override {
    store.release();
    table.close();
    run_until([] { return false; }, std::chrono::milliseconds(50));
  }

  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  void settle() {
    run_until([] { return false; }, std::chrono::milliseconds(100));
  }

  // Authenticated with PLAIN (the fake transport says TLS), at the post-SASL features.
  client authenticate(const std::string& user) {
    client c;
    c.t = std::make_shared<fake_transport>(asio::make_strand(io));
    c.t->tls = true;
    stream_driver::launch(c.t, svc, options, tracker.track([](core::connection_tracker::close_mode) {}));
    c.t->feed(header);
    EXPECT_TRUE(run_until([&] { return c.has("</stream:features>"); })) << c.out();
    c.t->feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
              auth::base64_encode(std::string("\0", 1) + user + std::string("\0pw", 3)) + "</auth>");
    EXPECT_TRUE(run_until([&] { return c.has("<success"); })) << c.out();
    c.out().clear();
    c.t->feed(header);
    EXPECT_TRUE(run_until([&] { return c.has("</stream:features>"); })) << c.out();
    return c;
  }
  client login(const std::string& user, bool enable = true) {
    auto c = authenticate(user);
    EXPECT_TRUE(c.has("<sm " + sm)) << c.out();
    EXPECT_TRUE(c.has("<csi xmlns=\"urn:xmpp:csi:0\"")) << c.out();
    c.t->feed(
        "<iq type='set' id='b'><bind "
        "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>");
    EXPECT_TRUE(run_until([&] { return c.has("type=\"result\""); })) << c.out();
    if (enable) {
      c.t->feed("<enable " + sm + " resume='true'/>");
      EXPECT_TRUE(run_until([&] { return c.has("<enabled"); })) << c.out();
      c.id = sm_id(c.out());
    }
    c.out().clear();
    return c;
  }
  static std::string sm_id(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("<enabled [^>]*id=\"([0-9a-f]+)\"")) ? m[1].str() : "";
  }
  void send_to(const std::string& full, const std::string& body, const std::string& type = "chat") {
    core::element e("message", "jabber:client");
    e.set_attr("type", type).set_attr("to", full).set_attr("from", "carol@example.com/x");
    e.add_child(core::element("body", "jabber:client")).add_text(body);
    router.route(core::stanza::from_element(std::move(e)).value());
  }
  void presence_to(const std::string& full, const std::string& from, const std::string& status) {
    core::element e("presence", "jabber:client");
    e.set_attr("to", full).set_attr("from", from);
    e.add_child(core::element("status", "jabber:client")).add_text(status);
    router.sessions()
        .find(core::jid::parse(full).value())
        ->deliver(core::stanza::from_element(std::move(e)).value());
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};  // never stopped
  storage::memory_store backend;
  storage::fault_injecting_store store{backend};
  core::router router{{"example.com"}};
  im::service svc{router, store, io.get_executor(), {}};
  core::connection_tracker tracker;
  resumption_table table;
  stream_driver_options options;
};

TEST_F(stream_management_test, enabled_with_a_resumption_id_and_acks_count_stanzas_only) {
  auto c = authenticate("alice");
  c.t->feed("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  ASSERT_TRUE(run_until([&] { return c.has("type=\"result\""); })) << c.out();
  c.t->feed("<enable " + sm + " resume='true'/>");
  ASSERT_TRUE(run_until([&] { return c.has("<enabled"); })) << c.out();
  EXPECT_EQ(sm_id(c.out()).size(), 32u) << c.out();
  EXPECT_TRUE(c.has("resume=\"true\"")) << c.out();
  EXPECT_TRUE(c.has("max=\"300\"")) << c.out();
  c.t->feed("<r " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return c.has("<a " + sm + " h=\"0\"/>"); })) << c.out();
  c.t->feed("<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq><r " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return c.has("<a " + sm + " h=\"1\"/>"); })) << c.out();
  c.t->feed("<enable " + sm + "/>");  // twice
  ASSERT_TRUE(run_until([&] { return c.has("<failed " + sm + "><unexpected-request"); })) << c.out();
}

TEST_F(stream_management_test, enable_before_binding_fails) {
  auto c = authenticate("alice");
  c.t->feed("<enable " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return c.has("<failed " + sm + "><unexpected-request"); })) << c.out();
  EXPECT_FALSE(c.t->closed);
}

TEST_F(stream_management_test, the_ack_for_a_message_to_an_offline_user_waits_until_it_is_stored) {
  auto c = login("alice");
  store.hold(op::store_offline);
  c.t->feed("<message to='bob@example.com' type='chat' id='m1'><body>hi</body></message><r " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return store.waiting() == 1; }));
  c.t->feed("<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq><r " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return c.has("id=\"p1\""); })) << c.out();  // the ping is answered...
  settle();
  EXPECT_FALSE(c.has("<a ")) << c.out();  // ...but not acknowledged before the message is stored
  store.release();
  ASSERT_TRUE(run_until([&] { return c.has("<a " + sm + " h=\"2\"/>"); })) << c.out();
  EXPECT_EQ(c.count("<a "), 2u) << c.out();  // each <r/> answered, in order, once both are handled
  EXPECT_FALSE(c.has("h=\"1\"")) << c.out();
}

TEST_F(stream_management_test, the_server_asks_for_acks_and_the_client_releases_its_queue) {
  options.c2s.sm.ack_request_every = 2;
  auto c = login("alice");
  send_to("alice@example.com/r", "one");
  ASSERT_TRUE(run_until([&] { return c.has("<body>one</body>"); })) << c.out();
  settle();
  EXPECT_FALSE(c.has("<r ")) << c.out();
  send_to("alice@example.com/r", "two");
  ASSERT_TRUE(run_until([&] { return c.has("<r " + sm + "/>"); })) << c.out();
  c.t->feed("<a " + sm + " h='3'/>");  // more than was sent
  ASSERT_TRUE(run_until([&] { return c.t->closed; })) << c.out();
  EXPECT_TRUE(c.has("<handled-count-too-high " + sm + " h=\"3\" send-count=\"2\"/>")) << c.out();
  // The session ended: what was not acknowledged went to offline storage.
  ASSERT_TRUE(run_until(
      [&] { return router.sessions().find(core::jid::parse("alice@example.com/r").value()) == nullptr; }));
  settle();
  EXPECT_EQ(stored_for(io, backend, "alice@example.com", [&](const auto& f) { return run_until(f); }).size(),
            2u);
}

TEST_F(stream_management_test, a_lost_connection_is_resumed_and_what_was_not_acknowledged_comes_again) {
  auto c = login("alice");
  ASSERT_EQ(c.id.size(), 32u);
  send_to("alice@example.com/r", "one");
  send_to("alice@example.com/r", "two");
  ASSERT_TRUE(run_until([&] { return c.has("<body>two</body>"); })) << c.out();
  c.t->feed("<a " + sm + " h='1'/>");  // the client saw "one" only
  settle();
  c.t->close();  // cut, not closed
  settle();
  const core::jid full = core::jid::parse("alice@example.com/r").value();
  ASSERT_NE(router.sessions().find(full), nullptr);  // still bound, still available
  send_to("alice@example.com/r", "three");           // queued while detached

  auto bob = authenticate("bob");  // another account's id is as unknown
  bob.t->feed("<resume " + sm + " previd='" + c.id + "' h='1'/>");
  ASSERT_TRUE(run_until([&] { return bob.has("<failed " + sm + "><item-not-found"); })) << bob.out();
  EXPECT_FALSE(bob.has("<failed " + sm + " h=")) << bob.out();
  auto guess = authenticate("alice");
  guess.t->feed("<resume " + sm + " previd='00000000000000000000000000000000' h='1'/>");
  ASSERT_TRUE(run_until([&] { return guess.has("<failed " + sm + "><item-not-found"); })) << guess.out();
  EXPECT_FALSE(guess.t->closed);  // it may bind a new resource instead

  auto again = authenticate("alice");
  again.t->feed("<resume " + sm + " previd='" + c.id + "' h='1'/>");
  ASSERT_TRUE(run_until([&] { return again.has("<body>three</body>"); })) << again.out();
  const auto& out = again.out();
  EXPECT_TRUE(again.has("<resumed " + sm + " h=\"0\" previd=\"" + c.id + "\"/>")) << out;
  EXPECT_LT(out.find("<resumed"), out.find("<body>two</body>")) << out;
  EXPECT_LT(out.find("<body>two</body>"), out.find("<body>three</body>")) << out;
  EXPECT_FALSE(again.has("<body>one</body>")) << out;  // acknowledged before the cut
  EXPECT_EQ(again.count("<body>two</body>"), 1u) << out;
  send_to("alice@example.com/r", "four");  // and the session goes on
  ASSERT_TRUE(run_until([&] { return again.has("<body>four</body>"); })) << again.out();
  again.t->feed("<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq><r " + sm + "/>");
  ASSERT_TRUE(run_until([&] { return again.has("<a " + sm + " h=\"1\"/>"); })) << again.out();
}

TEST_F(stream_management_test, resuming_while_the_old_connection_is_open_closes_it) {
  auto c = login("alice");
  send_to("alice@example.com/r", "one");
  ASSERT_TRUE(run_until([&] { return c.has("<body>one</body>"); })) << c.out();
  auto again = authenticate("alice");
  again.t->feed("<resume " + sm + " previd='" + c.id + "' h='0'/>");
  ASSERT_TRUE(run_until([&] { return again.has("<body>one</body>") && c.t->closed; })) << again.out();
  settle();
  EXPECT_NE(router.sessions().find(core::jid::parse("alice@example.com/r").value()), nullptr);
  send_to("alice@example.com/r", "two");
  ASSERT_TRUE(run_until([&] { return again.has("<body>two</body>"); })) << again.out();
}

TEST_F(stream_management_test, a_session_not_resumed_in_time_sends_what_it_holds_to_offline_storage) {
  options.c2s.sm.resume_timeout = std::chrono::seconds(1);
  auto c = login("alice");
  send_to("alice@example.com/r", "one");
  ASSERT_TRUE(run_until([&] { return c.has("<body>one</body>"); })) << c.out();
  c.t->close();
  settle();
  send_to("alice@example.com/r", "two");
  const core::jid full = core::jid::parse("alice@example.com/r").value();
  EXPECT_NE(router.sessions().find(full), nullptr);
  ASSERT_TRUE(
      run_until([&] { return router.sessions().find(full) == nullptr; }, std::chrono::milliseconds(3000)));
  settle();
  auto stored = stored_for(io, backend, "alice@example.com", [&](const auto& f) { return run_until(f); });
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_NE(stored[0].xml.find("one"), std::string::npos);
  EXPECT_NE(stored[1].xml.find("two"), std::string::npos);
  auto late = authenticate("alice");
  late.t->feed("<resume " + sm + " previd='" + c.id + "' h='0'/>");
  ASSERT_TRUE(run_until([&] { return late.has("<failed " + sm + "><item-not-found"); })) << late.out();
}

TEST_F(stream_management_test, resuming_with_h_beyond_what_was_sent_fails_and_ends_the_session) {
  auto c = login("alice");
  send_to("alice@example.com/r", "one");
  ASSERT_TRUE(run_until([&] { return c.has("<body>one</body>"); })) << c.out();
  c.t->close();
  settle();
  auto again = authenticate("alice");
  again.t->feed("<resume " + sm + " previd='" + c.id + "' h='5'/>");
  ASSERT_TRUE(run_until([&] { return again.has("<failed " + sm + " h=\"0\"><unexpected-request"); }))
      << again.out();
  settle();
  EXPECT_EQ(router.sessions().find(core::jid::parse("alice@example.com/r").value()), nullptr);
  EXPECT_EQ(stored_for(io, backend, "alice@example.com", [&](const auto& f) { return run_until(f); }).size(),
            1u);
}

TEST_F(stream_management_test, an_inactive_client_gets_presence_held_and_collapsed_and_messages_at_once) {
  auto c = login("alice", false);
  c.t->feed("<inactive xmlns='urn:xmpp:csi:0'/>");
  settle();
  presence_to("alice@example.com/r", "bob@example.com/x", "p1");
  presence_to("alice@example.com/r", "carol@example.com/y", "c1");
  presence_to("alice@example.com/r", "bob@example.com/x", "p2");
  send_to("alice@example.com/r", "msg");
  ASSERT_TRUE(run_until([&] { return c.has("<body>msg</body>"); })) << c.out();
  settle();
  EXPECT_FALSE(c.has("<presence")) << c.out();
  c.t->feed("<active xmlns='urn:xmpp:csi:0'/>");
  ASSERT_TRUE(run_until([&] { return c.has("<status>p2</status>") && c.has("<status>c1</status>"); }))
      << c.out();
  EXPECT_FALSE(c.has("<status>p1</status>")) << c.out();          // only the latest per sender
  presence_to("alice@example.com/r", "bob@example.com/x", "p3");  // active: at once
  ASSERT_TRUE(run_until([&] { return c.has("<status>p3</status>"); })) << c.out();
}

}  // namespace
}  // namespace ofs::xmpp::test
