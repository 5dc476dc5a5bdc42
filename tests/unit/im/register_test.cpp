// XEP-0077 in-band registration: before authentication through service::preauth_register,
// and password change / removal for a logged-in user.
#include "server/auth/scram.hpp"
#include "tests/unit/im/features_harness.hpp"

namespace ofs::im::features_test {
namespace {

im_config open_registration(unsigned per_hour = 5) {
  im_config c;
  c.registration = true;
  c.registrations_per_ip_hour = per_hour;
  c.scram_iterations = 64;  // fast tests; the value is stored with the credentials
  return c;
}

core::element preauth(harness& h, std::string_view xml, std::string ip = "192.0.2.7") {
  return h.sync(h.svc.preauth_register(parse_element(xml), std::move(ip), "example.com"));
}

std::string create(std::string_view user, std::string_view password) {
  return "<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" + std::string(user) +
         "</username><password>" + std::string(password) + "</password></query></iq>";
}

bool error_is(const core::element& reply, std::string_view condition) {
  const core::element* e = reply.child("error");
  return reply.attr("type") == "error" && e && e->child(condition, core::ns::stanzas);
}

// True when the stored credentials of `account` are SHA-1 and SHA-256 ones for `password`.
bool has_password(harness& h, std::string_view account, std::string_view password) {
  auto creds = h.sync(h.store->get_credentials(jid(account))).value();
  if (!creds || creds->size() != 2) return false;
  for (const auto& c : *creds)
    if (c != auth::derive_credentials(c.hash, password, c.salt, c.iterations)) return false;
  return (*creds)[0].hash == auth::scram_hash::sha1 && (*creds)[1].hash == auth::scram_hash::sha256;
}

TEST(register, form_and_account_creation) {
  harness h(open_registration());
  auto form = preauth(h, "<iq type='get' id='f'><query xmlns='jabber:iq:register'/></iq>");
  EXPECT_EQ(form.attr("type"), "result");
  EXPECT_EQ(form.attr("id"), "f");
  const core::element* q = form.child("query", "jabber:iq:register");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->child("username"));
  EXPECT_TRUE(q->child("password"));

  auto reply = preauth(h, create("Tybalt", "swords"));
  EXPECT_EQ(reply.attr("type"), "result") << xml::to_string(reply);
  EXPECT_EQ(reply.attr("id"), "reg");
  EXPECT_TRUE(has_password(h, "tybalt@example.com", "swords"));  // nodeprep'd name

  EXPECT_TRUE(error_is(preauth(h, create("tybalt", "other")), "conflict"));
  EXPECT_TRUE(has_password(h, "tybalt@example.com", "swords"));
  EXPECT_TRUE(error_is(preauth(h, create("", "x")), "not-acceptable"));
  EXPECT_TRUE(error_is(preauth(h, create("a@b", "x")), "not-acceptable"));
  EXPECT_TRUE(error_is(preauth(h, create("paris", "")), "not-acceptable"));
}

TEST(register, rate_limited_per_address) {
  harness h(open_registration(2));
  EXPECT_EQ(preauth(h, create("a1", "pw")).attr("type"), "result");
  EXPECT_TRUE(error_is(preauth(h, create("a1", "pw")), "conflict"));  // failures do not count
  EXPECT_EQ(preauth(h, create("a2", "pw")).attr("type"), "result");
  auto limited = preauth(h, create("a3", "pw"));
  EXPECT_TRUE(error_is(limited, "policy-violation")) << xml::to_string(limited);
  EXPECT_EQ(limited.child("error")->attr("type"), "wait");
  EXPECT_FALSE(h.sync(h.store->get_credentials(jid("a3@example.com"))).value());
  EXPECT_EQ(preauth(h, create("a3", "pw"), "198.51.100.1").attr("type"), "result");
}

TEST(register, closed_registration_still_allows_password_change) {
  harness h;  // registration off
  EXPECT_TRUE(error_is(preauth(h, "<iq type='get' id='f'><query xmlns='jabber:iq:register'/></iq>"),
                       "service-unavailable"));
  EXPECT_TRUE(error_is(preauth(h, create("mercutio", "pw")), "service-unavailable"));

  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq type='get' id='g'><query xmlns='jabber:iq:register'/></iq>");
  auto got = romeo->take();
  const core::stanza* r = find(got, iq_result("g"));
  ASSERT_TRUE(r) << dump(got);
  EXPECT_TRUE(r->xml().child("query", "jabber:iq:register")->child("registered"));

  h.send(
      *romeo,
      "<iq to='example.com' type='set' id='pw'><query xmlns='jabber:iq:register'><username>romeo</username>"
      "<password>new secret</password></query></iq>");
  h.send(*romeo,
         "<iq type='set' id='other'><query xmlns='jabber:iq:register'><username>juliet</username>"
         "<password>mine now</password></query></iq>");
  got = romeo->take();
  EXPECT_TRUE(find(got, iq_result("pw"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("other", "not-allowed"))) << dump(got);
  EXPECT_TRUE(has_password(h, "romeo@example.com", "new secret"));
  EXPECT_FALSE(has_password(h, "juliet@example.com", "mine now"));
}

TEST(register, account_removal_ends_sessions) {
  harness h;
  auto orchard = h.online("romeo@example.com/orchard");
  auto street = h.online("romeo@example.com/street");
  h.send(*orchard, "<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>");
  auto got = orchard->take();
  EXPECT_TRUE(find(got, iq_result("rm"))) << dump(got);
  EXPECT_FALSE(h.sync(h.store->get_credentials(jid("romeo@example.com"))).value());
  EXPECT_EQ(orchard->terminated(), "not-authorized");
  EXPECT_EQ(street->terminated(), "not-authorized");
  // Before authentication, <remove/> means nothing.
  harness open(open_registration());
  EXPECT_TRUE(error_is(
      preauth(open, "<iq type='set' id='x'><query xmlns='jabber:iq:register'><remove/></query></iq>"),
      "not-authorized"));
}

}  // namespace
}  // namespace ofs::im::features_test
