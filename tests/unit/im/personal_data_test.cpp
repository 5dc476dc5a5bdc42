// Per-account data the server keeps: vcard-temp (XEP-0054) and private XML (XEP-0049).
#include "server/im/vcard.hpp"
#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

const core::element* child_in(const core::stanza* s, std::string_view name, std::string_view ns) {
  return s ? s->xml().child(name, ns) : nullptr;
}

TEST(vcard, owner_sets_anyone_gets) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*juliet, "<iq type='set' id='s'><vCard xmlns='vcard-temp'><FN>Juliet Capulet</FN></vCard></iq>");
  auto got = juliet->take();
  ASSERT_TRUE(find(got, iq_result("s"))) << dump(got);

  h.send(*juliet, "<iq type='get' id='g'><vCard xmlns='vcard-temp'/></iq>");
  got = juliet->take();
  const core::element* card = child_in(find(got, iq_result("g")), "vCard", "vcard-temp");
  ASSERT_TRUE(card) << dump(got);
  EXPECT_EQ(card->child_text("FN"), "Juliet Capulet");

  h.send(*romeo, "<iq to='juliet@example.com' type='get' id='g'><vCard xmlns='vcard-temp'/></iq>");
  got = romeo->take();
  card = child_in(find(got, iq_result("g")), "vCard", "vcard-temp");
  ASSERT_TRUE(card) << dump(got);
  EXPECT_EQ(card->child_text("FN"), "Juliet Capulet");
  EXPECT_EQ(find(got, iq_result("g"))->from().str(), "juliet@example.com");

  h.send(
      *romeo,
      "<iq to='juliet@example.com' type='set' id='evil'><vCard xmlns='vcard-temp'><FN>x</FN></vCard></iq>");
  EXPECT_TRUE(find(romeo->take(), iq_error("evil", "forbidden")));
}

TEST(vcard, empty_when_none_and_unknown_accounts_and_size_limit) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<iq to='nurse@example.com' type='get' id='none'><vCard xmlns='vcard-temp'/></iq>");
  h.send(*romeo, "<iq to='nobody@example.com' type='get' id='nobody'><vCard xmlns='vcard-temp'/></iq>");
  auto got = romeo->take();
  const core::element* card = child_in(find(got, iq_result("none")), "vCard", "vcard-temp");
  ASSERT_TRUE(card) << dump(got);
  EXPECT_TRUE(card->children().empty());
  EXPECT_TRUE(find(got, iq_error("nobody", "service-unavailable"))) << dump(got);

  std::string big(vcard_max_bytes, 'x');
  h.send(*romeo, "<iq type='set' id='big'><vCard xmlns='vcard-temp'><NOTE>" + big + "</NOTE></vCard></iq>");
  got = romeo->take();
  EXPECT_TRUE(find(got, iq_error("big", "not-acceptable"))) << dump(got).substr(0, 300);
}

TEST(private_storage, set_get_and_missing_items) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo,
         "<iq type='set' id='s'><query xmlns='jabber:iq:private'>"
         "<storage xmlns='storage:bookmarks'><conference jid='room@muc.example.com' name='Verona'/></storage>"
         "</query></iq>");
  ASSERT_TRUE(find(romeo->take(), iq_result("s")));
  h.send(*romeo,
         "<iq type='get' id='g'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/>"
         "<prefs xmlns='urn:example:prefs'/></query></iq>");
  auto got = romeo->take();
  const core::element* q = child_in(find(got, iq_result("g")), "query", "jabber:iq:private");
  ASSERT_TRUE(q) << dump(got);
  const core::element* bookmarks = q->child("storage", "storage:bookmarks");
  ASSERT_TRUE(bookmarks);
  ASSERT_TRUE(bookmarks->child("conference"));
  EXPECT_EQ(bookmarks->child("conference")->attr("name"), "Verona");
  const core::element* prefs = q->child("prefs", "urn:example:prefs");
  ASSERT_TRUE(prefs);  // nothing stored: the empty element comes back
  EXPECT_TRUE(prefs->children().empty());
}

TEST(private_storage, refuses_reserved_namespaces_other_accounts_and_empty_queries) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo,
         "<iq type='set' id='r1'><query xmlns='jabber:iq:private'><query "
         "xmlns='jabber:iq:roster'/></query></iq>");
  h.send(*romeo, "<iq type='get' id='r2'><query xmlns='jabber:iq:private'><plain/></query></iq>");
  h.send(*romeo,
         "<iq to='juliet@example.com' type='get' id='other'><query xmlns='jabber:iq:private'>"
         "<storage xmlns='storage:bookmarks'/></query></iq>");
  h.send(*romeo, "<iq type='get' id='empty'><query xmlns='jabber:iq:private'/></iq>");
  auto got = romeo->take();
  EXPECT_TRUE(find(got, iq_error("r1", "not-acceptable"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("r2", "not-acceptable"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("other", "forbidden"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("empty", "bad-request"))) << dump(got);
}

}  // namespace
}  // namespace ofs::im::test
