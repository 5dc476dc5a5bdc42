// Entering, presence, messages, history, nicknames and leaving (XEP-0045 section 7).
#include "server/xml/serializer.hpp"
#include "tests/unit/muc/muc_fixture.hpp"

namespace ofs::muc::test {
namespace {

TEST_F(muc_fixture, three_occupants_see_each_other_and_their_own_presence_last) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet"), nurse = user("nurse");
  enter(romeo, "lobby", "Romeo");
  auto got = romeo->take();
  const core::stanza* self = presence_from(got, "lobby@conference.example.com/Romeo");
  ASSERT_TRUE(self) << im::test::dump(got);
  EXPECT_EQ(codes(*self), (std::set<int>{110, 201}));
  EXPECT_EQ(item(*self)->attr("affiliation"), "owner");
  EXPECT_EQ(item(*self)->attr("role"), "moderator");
  h->send(
      *romeo,
      "<iq type='set' id='i' to='lobby@conference.example.com'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
  ASSERT_TRUE(im::test::find(romeo->take(), im::test::iq_result("i")));

  enter(juliet, "lobby", "Juliet");
  enter(nurse, "lobby", "Nurse");
  auto j = juliet->take(), n = nurse->take(), r = romeo->take();
  ASSERT_TRUE(presence_from(j, "lobby@conference.example.com/Romeo")) << im::test::dump(j);
  ASSERT_TRUE(presence_from(j, "lobby@conference.example.com/Nurse"));
  ASSERT_TRUE(presence_from(n, "lobby@conference.example.com/Romeo"));
  ASSERT_TRUE(presence_from(n, "lobby@conference.example.com/Juliet"));
  ASSERT_TRUE(presence_from(r, "lobby@conference.example.com/Juliet"));
  ASSERT_TRUE(presence_from(r, "lobby@conference.example.com/Nurse"));
  // The newcomer's own presence comes after the others', with 110 and its real JID.
  const core::stanza* own = presence_from(n, "lobby@conference.example.com/Nurse");
  ASSERT_TRUE(own);
  EXPECT_EQ(codes(*own), std::set<int>{110});
  EXPECT_GT(own, presence_from(n, "lobby@conference.example.com/Juliet"));
  EXPECT_EQ(item(*own)->attr("jid"), "nurse@example.com/r");
  // Semi-anonymous: a participant does not see others' real JIDs; the moderator does.
  EXPECT_FALSE(item(*presence_from(n, "lobby@conference.example.com/Juliet"))->has_attr("jid"));
  EXPECT_EQ(item(*presence_from(r, "lobby@conference.example.com/Nurse"))->attr("jid"),
            "nurse@example.com/r");
  EXPECT_TRUE(own->xml().child("occupant-id", "urn:xmpp:occupant-id:0"));
  EXPECT_EQ(muc->list_rooms().at(0).occupants, 3u);
}

TEST_F(muc_fixture, a_message_is_fanned_out_from_one_serialized_payload) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet"), nurse = user("nurse");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  enter(nurse, "lobby", "Nurse");
  romeo->take(), juliet->take(), nurse->take();
  h->send(*juliet,
          "<message type='groupchat' id='m1' to='lobby@conference.example.com'><body>Hello &amp; "
          "welcome</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>");
  std::vector<core::stanza> all;
  for (auto* c : {&romeo, &juliet, &nurse}) {
    auto got = (*c)->take();
    ASSERT_EQ(groupchat(got).size(), 1u) << im::test::dump(got);
    all.push_back(*groupchat(got)[0]);
  }
  for (const auto& m : all) {
    EXPECT_EQ(m.from().str(), "lobby@conference.example.com/Juliet");
    EXPECT_EQ(m.id(), "m1");
    ASSERT_TRUE(m.shared_payload());
    EXPECT_EQ(m.shared_payload(), all[0].shared_payload());  // one serialization for the room
    const auto* oid = m.xml().child("occupant-id", "urn:xmpp:occupant-id:0");
    ASSERT_TRUE(oid);
    EXPECT_NE(oid->attr("id"), "forged");
  }
  // What a client's stream writes: its own 'to', the shared body.
  std::string out;
  xml::serialize(all[2], out, xml::write_context{});
  EXPECT_NE(out.find("to=\"nurse@example.com/r\""), std::string::npos) << out;
  EXPECT_NE(out.find("<body>Hello &amp; welcome</body>"), std::string::npos) << out;
  EXPECT_EQ(out.find("forged"), std::string::npos);
  EXPECT_EQ(all[2].xml().attr("to"), "nurse@example.com/r");  // the tree agrees when read
}

TEST_F(muc_fixture, history_and_subject_arrive_on_entering_as_asked) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  h->send(*romeo,
          "<message type='groupchat' to='lobby@conference.example.com'><subject>Verona</subject></message>");
  for (int i = 1; i <= 3; ++i)
    h->send(*romeo, "<message type='groupchat' to='lobby@conference.example.com'><body>line " +
                        std::to_string(i) + "</body></message>");
  enter(juliet, "lobby", "Juliet", "<history maxstanzas='2'/>");
  auto got = juliet->take();
  auto history = groupchat(got);
  ASSERT_EQ(history.size(), 2u) << im::test::dump(got);
  EXPECT_EQ(history[0]->xml().child_text("body"), "line 2");
  EXPECT_EQ(history[1]->xml().child_text("body"), "line 3");
  EXPECT_TRUE(history[0]->xml().child("delay", "urn:xmpp:delay"));
  const core::stanza& last = got.back();
  EXPECT_EQ(last.xml().child_text("subject"), "Verona");
  EXPECT_EQ(last.from().str(), "lobby@conference.example.com/Romeo");

  auto nurse = user("nurse");
  enter(nurse, "lobby", "Nurse", "<history maxchars='0'/>");
  EXPECT_TRUE(groupchat(nurse->take()).empty());
}

TEST_F(muc_fixture, nickname_in_use_or_not_allowed_is_refused) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Romeo");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << im::test::dump(got);
  EXPECT_TRUE(im::test::has_error(got[0], "conflict", "cancel"));
  EXPECT_EQ(got[0].from().str(), "lobby@conference.example.com/Romeo");
  enter(juliet, "lobby", "\xe3\x85\xa4");  // a Hangul filler: resourceprep lets it pass, PRECIS not
  got = juliet->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(im::test::has_error(got[0], "jid-malformed", "modify"));
  EXPECT_TRUE(romeo->take().empty());  // the room saw nothing
  EXPECT_EQ(muc->list_rooms().at(0).occupants, 1u);
}

TEST_F(muc_fixture, nickname_change_is_an_unavailable_303_then_the_new_presence) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  romeo->take(), juliet->take();
  h->send(*juliet, "<presence to='lobby@conference.example.com/Jules'/>");
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 2u) << im::test::dump(got);
  EXPECT_EQ(got[0].type(), "unavailable");
  EXPECT_EQ(codes(got[0]), std::set<int>{303});
  EXPECT_EQ(item(got[0])->attr("nick"), "Jules");
  EXPECT_EQ(got[1].from().str(), "lobby@conference.example.com/Jules");
  auto own = juliet->take();
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(codes(own[0]), (std::set<int>{303, 110}));
}

TEST_F(muc_fixture, private_messages_go_between_occupants_only) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet"), tybalt = user("benvolio");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  romeo->take(), juliet->take();
  h->send(*romeo,
          "<message type='chat' to='lobby@conference.example.com/Juliet'><body>psst</body></message>");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from().str(), "lobby@conference.example.com/Romeo");
  EXPECT_EQ(got[0].xml().child_text("body"), "psst");
  EXPECT_TRUE(got[0].xml().child("x", muc_user_ns));
  h->send(*tybalt, "<message type='chat' to='lobby@conference.example.com/Juliet'><body>hi</body></message>");
  h->send(*tybalt, "<message type='groupchat' to='lobby@conference.example.com'><body>hi</body></message>");
  auto refused = tybalt->take();
  EXPECT_EQ(im::test::count(refused, im::test::message_error("not-acceptable")), 2u)
      << im::test::dump(refused);
  EXPECT_TRUE(juliet->take().empty());
}

TEST_F(muc_fixture, an_ended_session_leaves_with_an_unavailable_presence) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  romeo->take();
  h->unbind(*juliet);
  auto got = romeo->take();
  ASSERT_TRUE(presence_from(got, "lobby@conference.example.com/Juliet", "unavailable"))
      << im::test::dump(got);
  EXPECT_EQ(muc->list_rooms().at(0).occupants, 1u);
}

TEST_F(muc_fixture, a_temporary_room_ends_with_its_last_occupant) {
  start();
  auto romeo = user("romeo");
  create(romeo, "lobby", "Romeo");
  EXPECT_EQ(muc->list_rooms().size(), 1u);
  h->send(
      *romeo,
      "<presence type='unavailable' to='lobby@conference.example.com/Romeo'><status>bye</status></presence>");
  auto got = romeo->take();
  const core::stanza* gone = presence_from(got, "lobby@conference.example.com/Romeo", "unavailable");
  ASSERT_TRUE(gone);
  EXPECT_EQ(codes(*gone), std::set<int>{110});
  EXPECT_EQ(gone->xml().child_text("status"), "bye");
  EXPECT_TRUE(muc->list_rooms().empty());
  h->send(*romeo,
          "<iq type='get' id='d' to='lobby@conference.example.com'>"
          "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_error("d", "item-not-found")));
}

TEST_F(muc_fixture, self_ping_tells_whether_one_is_still_in_the_room) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  h->send(
      *romeo,
      "<iq type='get' id='p1' to='lobby@conference.example.com/Romeo'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_result("p1")));
  h->send(
      *juliet,
      "<iq type='get' id='p2' to='lobby@conference.example.com/Romeo'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::iq_error("p2", "not-acceptable")));
}

TEST_F(muc_fixture, disco_lists_public_rooms_and_tells_a_rooms_features) {
  start();
  auto romeo = user("romeo");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby",
            field("muc#roomconfig_roomname", "The Lobby") + field("muc#roomconfig_roomdesc", "Hall"));
  create(romeo, "secret", "Romeo");
  configure(romeo, "secret", field("muc#roomconfig_publicroom", "0"));
  romeo->take();
  h->send(*romeo,
          "<iq type='get' id='items' to='conference.example.com'>"
          "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 1u);
  const auto* q = got[0].xml().child("query");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->children().size(), 1u) << im::test::dump(got);
  EXPECT_EQ(q->children()[0].attr("jid"), "lobby@conference.example.com");
  EXPECT_EQ(q->children()[0].attr("name"), "The Lobby");
  h->send(*romeo,
          "<iq type='get' id='srv' to='example.com'><query "
          "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  got = romeo->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(im::test::str(got[0]).find("jid=\"conference.example.com\""), std::string::npos)
      << im::test::dump(got);
  h->send(*romeo,
          "<iq type='get' id='info' to='lobby@conference.example.com'>"
          "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  got = romeo->take();
  ASSERT_EQ(got.size(), 1u);
  const std::string info = im::test::str(got[0]);
  for (auto f :
       {"http://jabber.org/protocol/muc", "muc_public", "muc_temporary", "muc_open", "muc_semianonymous",
        "urn:xmpp:occupant-id:0", "muc#roominfo", "muc#roominfo_occupants", "Hall"})
    EXPECT_NE(info.find(f), std::string::npos) << f << " in " << info;
}

}  // namespace
}  // namespace ofs::muc::test
