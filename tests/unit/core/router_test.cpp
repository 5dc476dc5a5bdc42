#include "server/core/router.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

using namespace ofs::core;

namespace {

// An endpoint that records what the router hands it.
class fake_endpoint : public endpoint {
public:
  explicit fake_endpoint(std::string address) : address_(jid::parse(address).value()) {}
  const jid& address() const override { return address_; }
  std::string remote_address() const override { return "127.0.0.1"; }
  std::string_view transport() const override { return "fake"; }
  void deliver(stanza s) override {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(s));
  }
  void deliver(stanza s, std::function<void(bool)> written) override {
    deliver(std::move(s));
    written(true);
  }
  void terminate(std::string_view condition, std::string_view) override {
    std::lock_guard lock(mutex_);
    terminated_ = condition;
  }
  std::vector<stanza> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::string terminated() const {
    std::lock_guard lock(mutex_);
    return terminated_;
  }

private:
  jid address_;
  mutable std::mutex mutex_;
  std::vector<stanza> received_;
  std::string terminated_;
};

stanza make(std::string name, std::string from, std::string to, std::string type = {}) {
  element e(std::move(name), "jabber:client");
  if (!from.empty()) e.set_attr("from", std::move(from));
  if (!to.empty()) e.set_attr("to", std::move(to));
  if (!type.empty()) e.set_attr("type", std::move(type));
  return stanza::from_element(std::move(e)).value();
}

struct router_fixture : ::testing::Test {
  router r{{"example.com"}};
  std::shared_ptr<fake_endpoint> online(const std::string& address, int priority = 0) {
    auto e = std::make_shared<fake_endpoint>(address);
    r.bind(e);
    r.sessions().set_presence(e->address(), make("presence", address, ""), priority);
    return e;
  }
};

}  // namespace

TEST_F(router_fixture, full_jid_reaches_that_resource_only) {
  auto a = online("juliet@example.com/balcony");
  auto b = online("juliet@example.com/chamber");
  r.route(make("message", "romeo@example.com/orchard", "juliet@example.com/chamber", "chat"));
  EXPECT_TRUE(a->received().empty());
  ASSERT_EQ(b->received().size(), 1u);
  EXPECT_EQ(b->received()[0].from().str(), "romeo@example.com/orchard");
}

TEST_F(router_fixture, bare_jid_picks_highest_non_negative_priority) {
  auto low = online("juliet@example.com/low", 1);
  auto high = online("juliet@example.com/high", 5);
  auto negative = online("juliet@example.com/neg", -1);
  r.route(make("message", "romeo@example.com/orchard", "juliet@example.com", "chat"));
  EXPECT_TRUE(low->received().empty());
  EXPECT_EQ(high->received().size(), 1u);
  EXPECT_TRUE(negative->received().empty());
}

TEST_F(router_fixture, headline_goes_to_every_non_negative_resource) {
  auto low = online("juliet@example.com/low", 1);
  auto high = online("juliet@example.com/high", 5);
  auto negative = online("juliet@example.com/neg", -1);
  r.route(make("message", "example.com", "juliet@example.com", "headline"));
  EXPECT_EQ(low->received().size(), 1u);
  EXPECT_EQ(high->received().size(), 1u);
  EXPECT_TRUE(negative->received().empty());
}

TEST_F(router_fixture, message_to_gone_resource_falls_back_to_bare_rules) {
  auto other = online("juliet@example.com/chamber");
  r.route(make("message", "romeo@example.com/orchard", "juliet@example.com/balcony", "chat"));
  EXPECT_EQ(other->received().size(), 1u);
}

TEST_F(router_fixture, undeliverable_message_bounces_service_unavailable) {
  auto romeo = online("romeo@example.com/orchard");
  r.route(make("message", "romeo@example.com/orchard", "nobody@example.com", "chat"));
  auto got = romeo->received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type(), "error");
  EXPECT_EQ(got[0].from().str(), "nobody@example.com");
  EXPECT_NE(got[0].xml().child("error")->child("service-unavailable", ns::stanzas), nullptr);
}

TEST_F(router_fixture, errors_are_never_bounced) {
  auto romeo = online("romeo@example.com/orchard");
  r.route(make("message", "romeo@example.com/orchard", "nobody@example.com", "error"));
  r.route(make("iq", "romeo@example.com/orchard", "nobody@example.com/x", "result"));
  EXPECT_TRUE(romeo->received().empty());
}

TEST_F(router_fixture, iq_to_host_goes_to_handler_by_namespace) {
  auto romeo = online("romeo@example.com/orchard");
  int pings = 0;
  r.add_iq_handler(route_target::host, "urn:xmpp:ping", [&](stanza&) {
    ++pings;
    return hook_result::handled;
  });
  auto ping = make("iq", "romeo@example.com/orchard", "example.com", "get");
  ping.mutable_xml().add_child(element("ping", "urn:xmpp:ping"));
  r.route(ping);
  EXPECT_EQ(pings, 1);
  auto unknown = make("iq", "romeo@example.com/orchard", "example.com", "get");
  unknown.mutable_xml().add_child(element("query", "urn:example:nothing"));
  r.route(unknown);
  ASSERT_EQ(romeo->received().size(), 1u);
  EXPECT_EQ(romeo->received()[0].type(), "error");
}

TEST_F(router_fixture, empty_to_means_own_account) {
  bool seen = false;
  r.add_iq_handler(route_target::bare, "jabber:iq:roster", [&](stanza& s) {
    seen = s.to().str() == "romeo@example.com";
    return hook_result::handled;
  });
  auto get = make("iq", "romeo@example.com/orchard", "", "get");
  get.mutable_xml().add_child(element("query", "jabber:iq:roster"));
  r.route(get);
  EXPECT_TRUE(seen);
}

TEST_F(router_fixture, hooks_run_by_priority_and_can_take_the_stanza) {
  std::vector<int> order;
  r.add_hook(stanza_kind::message, route_target::bare, 1, [&](stanza&) {
    order.push_back(1);
    return hook_result::handled;
  });
  r.add_hook(stanza_kind::message, route_target::bare, 10, [&](stanza&) {
    order.push_back(10);
    return hook_result::pass;
  });
  r.route(make("message", "romeo@example.com/orchard", "juliet@example.com", "chat"));
  EXPECT_EQ(order, (std::vector<int>{10, 1}));
}

TEST_F(router_fixture, newer_session_on_same_resource_wins) {
  auto older = online("juliet@example.com/balcony");
  auto newer = online("juliet@example.com/balcony");
  EXPECT_EQ(older->terminated(), "conflict");
  EXPECT_EQ(newer->terminated(), "");
  r.unbind(*older);  // the old session's late unbind must not remove the new one
  EXPECT_EQ(r.sessions().find(newer->address()), newer);
  EXPECT_EQ(r.sessions().size(), 1u);
}

TEST_F(router_fixture, dead_session_is_not_found) {
  auto e = online("juliet@example.com/balcony");
  e.reset();
  EXPECT_EQ(r.sessions().find(jid::parse("juliet@example.com/balcony").value()), nullptr);
}

TEST_F(router_fixture, remote_domains_use_the_remote_route_or_bounce) {
  auto romeo = online("romeo@example.com/orchard");
  r.route(make("message", "romeo@example.com/orchard", "someone@elsewhere.net", "chat"));
  ASSERT_EQ(romeo->received().size(), 1u);
  EXPECT_NE(romeo->received()[0].xml().child("error")->child("remote-server-not-found", ns::stanzas),
            nullptr);
  int remote = 0;
  r.set_remote_route([&](stanza&) { return ++remote, true; });
  r.route(make("message", "romeo@example.com/orchard", "someone@elsewhere.net", "chat"));
  EXPECT_EQ(remote, 1);
}

TEST_F(router_fixture, components_receive_their_domain) {
  auto muc = std::make_shared<fake_endpoint>("conference.example.com");
  r.add_component("conference.example.com", muc);
  r.route(make("presence", "romeo@example.com/orchard", "room@conference.example.com/romeo"));
  EXPECT_EQ(muc->received().size(), 1u);
}

TEST_F(router_fixture, concurrent_routing_from_many_threads) {
  std::vector<std::shared_ptr<fake_endpoint>> users;
  for (int i = 0; i < 50; ++i) users.push_back(online("user" + std::to_string(i) + "@example.com/r"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int n = 0; n < 1000; ++n) {
        auto to = "user" + std::to_string((n + t) % 50) + "@example.com";
        r.route(make("message", "user0@example.com/r", to, "chat"));
        if (n % 100 == 0) {  // churn: bind and unbind unrelated sessions meanwhile
          auto e = std::make_shared<fake_endpoint>("churn" + std::to_string(t) + "@example.com/x");
          r.bind(e);
          r.unbind(*e);
        }
      }
    });
  for (auto& t : threads) t.join();
  std::size_t total = 0;
  for (auto& u : users) total += u->received().size();
  EXPECT_EQ(total, 4000u);
}

// What a closing session could not write (RFC 6121 8.5.3.2.1 for a resource that is gone).
TEST_F(router_fixture, undeliverable_message_goes_to_another_resource_not_the_closing_one) {
  auto closing = online("juliet@example.com/balcony", 5);
  auto other = online("juliet@example.com/chamber", 1);
  r.undeliverable(make("message", "romeo@example.com/orchard", "juliet@example.com/balcony", "chat"),
                  *closing);
  EXPECT_TRUE(closing->received().empty()) << "it is closing: it must not be picked again";
  ASSERT_EQ(other->received().size(), 1u);
  EXPECT_EQ(other->received()[0].from().str(), "romeo@example.com/orchard");
  // From now on the closing session is not chosen by the bare-JID rules either.
  r.route(make("message", "romeo@example.com/orchard", "juliet@example.com", "chat"));
  EXPECT_TRUE(closing->received().empty());
  EXPECT_EQ(other->received().size(), 2u);
}

TEST_F(router_fixture, undeliverable_iq_request_bounces_and_presence_is_dropped) {
  auto romeo = online("romeo@example.com/orchard");
  auto closing = online("juliet@example.com/balcony");
  stanza iq = make("iq", "romeo@example.com/orchard", "juliet@example.com/balcony", "get");
  iq.mutable_xml().set_attr("id", "v1");
  iq.mutable_xml().add_child(element("query", "jabber:iq:version"));
  r.undeliverable(iq, *closing);
  r.undeliverable(make("presence", "romeo@example.com/orchard", "juliet@example.com/balcony"), *closing);
  r.undeliverable(make("message", "romeo@example.com/orchard", "juliet@example.com/balcony", "headline"),
                  *closing);
  auto got = romeo->received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type(), "error");
  EXPECT_EQ(got[0].id(), "v1");
  ASSERT_TRUE(got[0].xml().child("error"));
  EXPECT_TRUE(got[0].xml().child("error")->child("service-unavailable", ns::stanzas));
  EXPECT_TRUE(closing->received().empty());
}

TEST_F(router_fixture, undeliverable_message_without_other_resource_bounces_without_offline_storage) {
  // No offline hook is installed here: the bare-JID rules end in <service-unavailable/>.
  auto romeo = online("romeo@example.com/orchard");
  auto closing = online("juliet@example.com/balcony");
  r.undeliverable(make("message", "romeo@example.com/orchard", "juliet@example.com/balcony"), *closing);
  auto got = romeo->received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type(), "error");
  EXPECT_TRUE(closing->received().empty());
}
