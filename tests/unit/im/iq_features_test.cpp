// The server's own IQ features: disco (XEP-0030/0115), ping, version, time, last activity.
#include <regex>

#include "server/im/disco.hpp"
#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

std::vector<std::string> vars(const core::element& query) {
  std::vector<std::string> out;
  for (const auto& c : query.children())
    if (c.name() == "feature") out.emplace_back(c.attr("var"));
  return out;
}

const core::element& query_of(const core::stanza* s, std::string_view ns) {
  static const core::element none;
  if (!s) return none;
  const core::element* q = nullptr;
  for (const auto& c : s->xml().children())
    if (!c.is_text() && c.xmlns() == ns) q = &c;
  return q ? *q : none;
}

TEST(disco, server_info_lists_identity_and_every_feature) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(
      *romeo,
      "<iq to='example.com' type='get' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  auto got = romeo->take();
  const auto& q = query_of(find(got, iq_result("d1")), disco_info_ns);
  const core::element* id = q.child("identity");
  ASSERT_TRUE(id) << dump(got);
  EXPECT_EQ(id->attr("category"), "server");
  EXPECT_EQ(id->attr("type"), "im");
  auto features = vars(q);
  EXPECT_TRUE(std::is_sorted(features.begin(), features.end()));
  for (auto ns : {"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
                  "msgoffline", "urn:xmpp:ping", "jabber:iq:version", "urn:xmpp:time", "jabber:iq:last",
                  "vcard-temp", "jabber:iq:private", "urn:xmpp:blocking", "jabber:iq:register"})
    EXPECT_NE(std::find(features.begin(), features.end(), ns), features.end()) << ns;
  EXPECT_EQ(features, h.svc.features());
}

TEST(disco, server_items_and_nodes) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(
      *romeo,
      "<iq to='example.com' type='get' id='i1'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  auto got = romeo->take();
  ASSERT_TRUE(find(got, iq_result("i1"))) << dump(got);
  EXPECT_TRUE(query_of(find(got, iq_result("i1")), disco_items_ns).children().empty());

  const std::string node = std::string(caps_node) + "#" + caps_ver(h.svc);
  h.send(
      *romeo,
      "<iq to='example.com' type='get' id='n1'><query xmlns='http://jabber.org/protocol/disco#info' node='" +
          node + "'/></iq>");
  h.send(*romeo,
         "<iq to='example.com' type='get' id='n2'><query xmlns='http://jabber.org/protocol/disco#info' "
         "node='elsewhere'/></iq>");
  got = romeo->take();
  EXPECT_EQ(query_of(find(got, iq_result("n1")), disco_info_ns).attr("node"), node) << dump(got);
  EXPECT_TRUE(find(got, iq_error("n2", "item-not-found"))) << dump(got);
}

TEST(disco, caps_hash_follows_xep_0115) {
  // The worked example of XEP-0115 section 5.2.
  EXPECT_EQ(caps_hash("client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<"
                      "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<"
                      "http://jabber.org/protocol/muc<"),
            "QgayPKawpkPSDYmwT/WM94uAlu0=");
  harness h;
  std::string s = "server/im//OFS<";
  for (const auto& f : h.svc.features()) s += f + "<";
  EXPECT_EQ(caps_ver(h.svc), caps_hash(s));
  auto c = caps_element(h.svc);
  EXPECT_EQ(c.xmlns(), caps_ns);
  EXPECT_EQ(c.attr("hash"), "sha-1");
  EXPECT_EQ(c.attr("ver"), caps_ver(h.svc));
}

TEST(disco, account_info_only_for_self_and_subscribers) {
  harness h;
  h.seed("juliet@example.com", "romeo@example.com", storage::subscription::from);
  auto romeo = h.online("romeo@example.com/orchard");
  auto nurse = h.online("nurse@example.com/kitchen");
  auto juliet = h.online("juliet@example.com/balcony");
  const std::string ask =
      "<iq to='juliet@example.com' type='get' id='a'><query "
      "xmlns='http://jabber.org/protocol/disco#info'/></iq>";
  h.send(*romeo, ask);
  h.send(*nurse, ask);
  h.send(*juliet, "<iq type='get' id='a'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  for (auto* c : {romeo.get(), juliet.get()}) {
    auto got = c->take();
    const auto& q = query_of(find(got, iq_result("a")), disco_info_ns);
    ASSERT_TRUE(q.child("identity")) << dump(got);
    EXPECT_EQ(q.child("identity")->attr("category"), "account");
    EXPECT_EQ(q.child("identity")->attr("type"), "registered");
    EXPECT_EQ(vars(q), h.svc.account_features());
  }
  auto got = nurse->take();
  EXPECT_TRUE(find(got, iq_error("a", "service-unavailable"))) << dump(got);
}

TEST(ping, server_and_own_account_answer) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq to='example.com' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
  h.send(*romeo, "<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>");
  h.send(*romeo, "<iq to='juliet@example.com' type='get' id='p3'><ping xmlns='urn:xmpp:ping'/></iq>");
  auto got = romeo->take();
  const core::stanza* p1 = find(got, iq_result("p1"));
  ASSERT_TRUE(p1) << dump(got);
  EXPECT_EQ(p1->from().str(), "example.com");
  EXPECT_EQ(p1->to().str(), "romeo@example.com/orchard");
  EXPECT_TRUE(find(got, iq_result("p2"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("p3", "service-unavailable"))) << dump(got);
}

TEST(session, the_legacy_session_after_bind_gets_an_empty_result) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  h.send(
      *romeo,
      "<iq to='example.com' type='set' id='s2'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  h.send(*romeo,
         "<iq to='juliet@example.com' type='set' id='s3'><session "
         "xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  auto got = romeo->take();
  EXPECT_TRUE(find(got, iq_result("s1"))) << dump(got);
  EXPECT_TRUE(find(got, iq_result("s2"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("s3", "service-unavailable"))) << dump(got);
}

TEST(version, reports_name_and_version_without_os) {
  im_config cfg;
  cfg.server_name = "OFS";
  cfg.server_version = "1.2.3";
  harness h(cfg);
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq to='example.com' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>");
  auto got = romeo->take();
  const auto& q = query_of(find(got, iq_result("v")), "jabber:iq:version");
  EXPECT_EQ(q.child_text("name"), "OFS") << dump(got);
  EXPECT_EQ(q.child_text("version"), "1.2.3");
  EXPECT_FALSE(q.child("os"));
}

TEST(time, utc_and_offset) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq to='example.com' type='get' id='t'><time xmlns='urn:xmpp:time'/></iq>");
  auto got = romeo->take();
  const auto& t = query_of(find(got, iq_result("t")), "urn:xmpp:time");
  EXPECT_EQ(t.child_text("tzo"), "+00:00") << dump(got);
  EXPECT_TRUE(std::regex_match(t.child_text("utc"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

TEST(last, server_uptime_and_contact_logout) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  h.befriend("romeo@example.com", "benvolio@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  auto nurse = h.online("nurse@example.com/kitchen");
  h.send(*romeo, "<iq to='example.com' type='get' id='up'><query xmlns='jabber:iq:last'/></iq>");
  auto got = romeo->take();
  const auto& up = query_of(find(got, iq_result("up")), "jabber:iq:last");
  EXPECT_TRUE(std::regex_match(std::string(up.attr("seconds")), std::regex(R"(\d+)"))) << dump(got);

  auto juliet = h.online("juliet@example.com/balcony");
  const std::string ask =
      "<iq to='juliet@example.com' type='get' id='l'><query xmlns='jabber:iq:last'/></iq>";
  h.send(*romeo, ask);
  got = romeo->take();
  EXPECT_EQ(query_of(find(got, iq_result("l")), "jabber:iq:last").attr("seconds"), "0") << dump(got);

  h.unbind(*juliet);
  auto stored = h.sync(h.store.get_private(jid("juliet@example.com"), "last")).value();
  ASSERT_TRUE(stored);
  h.send(*romeo, ask);
  got = romeo->take();
  auto seconds = query_of(find(got, iq_result("l")), "jabber:iq:last").attr("seconds");
  EXPECT_TRUE(seconds == "0" || seconds == "1") << dump(got);

  h.send(*nurse, ask);  // no subscription
  got = nurse->take();
  EXPECT_TRUE(find(got, iq_error("l", "forbidden"))) << dump(got);

  h.send(*romeo, "<iq to='benvolio@example.com' type='get' id='never'><query xmlns='jabber:iq:last'/></iq>");
  got = romeo->take();
  EXPECT_TRUE(find(got, iq_error("never", "item-not-found"))) << dump(got);
}

}  // namespace
}  // namespace ofs::im::test
