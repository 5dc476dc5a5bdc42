// The rooms' archives (XEP-0313 on the room's JID, XEP-0359 stanza ids) and the occupant ids
// (XEP-0421) across a restart, on the MUC service over the IM harness and the memory store.
#include "tests/unit/muc/muc_fixture.hpp"

namespace ofs::muc::test {
namespace {

constexpr std::string_view mam_ns = "urn:xmpp:mam:2";

void say(im::test::harness& h, const client_ptr& c, std::string_view body, std::string_view extra = "") {
  h.send(*c, "<message type='groupchat' to='" + std::string(lobby) + "'><body>" + std::string(body) +
                 "</body>" + std::string(extra) + "</message>");
}

void query(im::test::harness& h, const client_ptr& c, std::string_view rsm = "", std::string_view id = "q") {
  h.send(*c, "<iq type='set' id='" + std::string(id) + "' to='" + std::string(lobby) +
                 "'><query xmlns='urn:xmpp:mam:2' queryid='" + std::string(id) +
                 "'><set xmlns='http://jabber.org/protocol/rsm'>" + std::string(rsm) + "</set></query></iq>");
}

// The forwarded messages of MAM results, in order.
std::vector<core::element> results(const stanzas& v) {
  std::vector<core::element> out;
  for (const auto& s : v)
    if (const auto* r = s.xml().child("result", mam_ns))
      out.push_back(*r->child("forwarded", "urn:xmpp:forward:0")->child("message"));
  return out;
}

class room_archive : public muc_fixture {
protected:
  void SetUp() override {
    start();
    romeo = user("romeo");
    create(romeo, "lobby", "Romeo");
    configure(romeo, "lobby", field("muc#roomconfig_persistentroom", "1"));
    juliet = user("juliet");
    enter(juliet, "lobby", "Juliet");
    romeo->take();
    juliet->take();
  }
  client_ptr romeo, juliet;
};

TEST_F(room_archive, broadcasts_carry_the_rooms_stanza_id_and_a_forged_one_is_dropped) {
  say(*h, romeo, "hello",
      "<stanza-id xmlns='urn:xmpp:sid:0' by='lobby@conference.example.com' id='forged'/>");
  const auto all = juliet->take();
  auto got = groupchat(all);
  ASSERT_EQ(got.size(), 1u);
  const auto& children = got[0]->xml().children();
  const auto ids = std::count_if(children.begin(), children.end(), [](const core::element& c) {
    return c.name() == "stanza-id" && c.attr("by") == lobby;
  });
  EXPECT_EQ(ids, 1);
  EXPECT_NE(im::stanza_id_by(got[0]->xml(), lobby), "forged");
}

TEST_F(room_archive, pages_with_rsm_and_shows_real_jids_to_owners_only) {
  for (auto body : {"one", "two", "three"}) say(*h, romeo, body);
  juliet->take();
  query(*h, juliet, "<max>2</max>");
  auto got = juliet->take();
  auto page = results(got);
  ASSERT_EQ(page.size(), 2u) << im::test::dump(got);
  EXPECT_EQ(page[0].child_text("body"), "one");
  EXPECT_EQ(page[0].attr("from"), "lobby@conference.example.com/Romeo");
  EXPECT_EQ(page[0].child("x", muc_user_ns), nullptr);  // a participant of a semi-anonymous room
  const auto* fin = im::test::find(got, im::test::iq_result("q"));
  ASSERT_TRUE(fin) << im::test::dump(got);
  EXPECT_EQ(fin->xml().child("fin", mam_ns)->attr("complete"), "");
  const auto last = fin->xml().child("fin", mam_ns)->child("set")->child_text("last");
  query(*h, juliet, "<max>2</max><after>" + last + "</after>", "q2");
  got = juliet->take();
  page = results(got);
  ASSERT_EQ(page.size(), 1u) << im::test::dump(got);
  EXPECT_EQ(page[0].child_text("body"), "three");
  EXPECT_EQ(im::test::find(got, im::test::iq_result("q2"))->xml().child("fin", mam_ns)->attr("complete"),
            "true");

  query(*h, romeo, "<max>1</max><before/>");
  page = results(romeo->take());
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].child_text("body"), "three");
  EXPECT_EQ(page[0].child("x", muc_user_ns)->child("item", muc_user_ns)->attr("jid"), "romeo@example.com");
}

TEST_F(room_archive, is_closed_to_outcasts_and_to_non_members_of_a_members_only_room) {
  say(*h, romeo, "secret");
  admin(romeo, "lobby", "<item affiliation='outcast' jid='benvolio@example.com'/>");
  auto benvolio = user("benvolio"), nurse = user("nurse");
  query(*h, benvolio);
  EXPECT_TRUE(im::test::has_error(benvolio->take().at(0), "forbidden"));
  configure(romeo, "lobby", field("muc#roomconfig_membersonly", "1"));
  query(*h, nurse);
  EXPECT_TRUE(im::test::has_error(nurse->take().at(0), "registration-required"));
  // Turning archiving off closes the archive and stops the stamping.
  configure(romeo, "lobby", field("muc#roomconfig_enablearchiving", "0"));
  romeo->take();
  query(*h, romeo);
  EXPECT_TRUE(im::test::has_error(romeo->take().at(0), "feature-not-implemented"));
  say(*h, romeo, "unarchived");
  const auto all = romeo->take();
  auto got = groupchat(all);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->xml().child("stanza-id", "urn:xmpp:sid:0"), nullptr);
}

TEST_F(room_archive, subject_archive_and_occupant_ids_survive_a_restart) {
  h->send(*romeo,
          "<message type='groupchat' to='lobby@conference.example.com'><subject>Vows</subject></message>");
  say(*h, romeo, "before");
  const auto all = juliet->take();
  auto before = groupchat(all);
  ASSERT_EQ(before.size(), 1u);
  const std::string id(before[0]->xml().child("occupant-id", occupant_id_ns)->attr("id"));
  restart();
  juliet = user("juliet");
  enter(juliet, "lobby", "Juliet", "<history maxstanzas='0'/>");
  auto got = juliet->take();
  const auto* subject =
      im::test::find(got, [](const core::stanza& s) { return s.xml().child("subject") != nullptr; });
  ASSERT_TRUE(subject) << im::test::dump(got);
  EXPECT_EQ(subject->xml().child_text("subject"), "Vows");
  EXPECT_EQ(subject->xml().attr("from"), "lobby@conference.example.com/Romeo");
  romeo = user("romeo");
  enter(romeo, "lobby", "Romeo");
  const auto entered = romeo->take();
  const auto* self = presence_from(entered, "lobby@conference.example.com/Romeo");
  ASSERT_TRUE(self);
  EXPECT_EQ(self->xml().child("occupant-id", occupant_id_ns)->attr("id"), id);
  say(*h, romeo, "after");
  query(*h, juliet);
  auto page = results(juliet->take());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].child_text("body"), "before");
  EXPECT_EQ(page[1].child_text("body"), "after");
}

}  // namespace
}  // namespace ofs::muc::test
