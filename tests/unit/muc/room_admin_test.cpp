// Room types, roles and affiliations, the owner's configuration and destruction, and rooms
// that survive a restart (XEP-0045 sections 8 to 10).
#include "tests/unit/muc/muc_fixture.hpp"

namespace ofs::muc::test {
namespace {

const std::string members_only = "<field var='muc#roomconfig_membersonly'><value>1</value></field>";

TEST_F(muc_fixture, members_only_room_refuses_a_non_member_until_made_one) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby", members_only);
  romeo->take();
  enter(juliet, "lobby", "Juliet");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << im::test::dump(got);
  EXPECT_TRUE(im::test::has_error(got[0], "registration-required", "auth"));
  admin(romeo, "lobby", "<item affiliation='member' jid='juliet@example.com'/>");
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_result("adm")));
  enter(juliet, "lobby", "Juliet");
  got = juliet->take();
  const core::stanza* own = presence_from(got, "lobby@conference.example.com/Juliet");
  ASSERT_TRUE(own) << im::test::dump(got);
  EXPECT_EQ(item(*own)->attr("affiliation"), "member");
  // Revoking membership of a members-only room removes the occupant with 321.
  admin(romeo, "lobby", "<item affiliation='none' jid='juliet@example.com'/>");
  got = juliet->take();
  const core::stanza* out = presence_from(got, "lobby@conference.example.com/Juliet", "unavailable");
  ASSERT_TRUE(out) << im::test::dump(got);
  EXPECT_EQ(codes(*out), (std::set<int>{321, 110}));
}

TEST_F(muc_fixture, password_room_refuses_a_wrong_password) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  configure(
      romeo, "lobby",
      field("muc#roomconfig_passwordprotectedroom", "1") + field("muc#roomconfig_roomsecret", "capulet"));
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_result("cfg")));
  enter(juliet, "lobby", "Juliet", "<password>montague</password>");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(im::test::has_error(got[0], "not-authorized", "auth"));
  enter(juliet, "lobby", "Juliet");
  EXPECT_TRUE(im::test::has_error(juliet->take().at(0), "not-authorized", "auth"));
  enter(juliet, "lobby", "Juliet", "<password>capulet</password>");
  EXPECT_TRUE(presence_from(juliet->take(), "lobby@conference.example.com/Juliet"));
}

TEST_F(muc_fixture, a_moderator_kicks_and_a_participant_may_not) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet"), nurse = user("nurse");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  enter(nurse, "lobby", "Nurse");
  romeo->take(), juliet->take(), nurse->take();
  admin(juliet, "lobby", "<item nick='Nurse' role='none'/>", "k1");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::iq_error("k1", "forbidden")));
  EXPECT_TRUE(nurse->take().empty());
  admin(romeo, "lobby", "<item nick='Nurse' role='none'><reason>Too chatty</reason></item>", "k2");
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_result("k2")));
  auto got = nurse->take();
  const core::stanza* out = presence_from(got, "lobby@conference.example.com/Nurse", "unavailable");
  ASSERT_TRUE(out) << im::test::dump(got);
  EXPECT_EQ(codes(*out), (std::set<int>{307, 110}));
  EXPECT_EQ(item(*out)->child("actor", muc_user_ns)->attr("nick"), "Romeo");
  EXPECT_EQ(item(*out)->child_text("reason", muc_user_ns), "Too chatty");
  EXPECT_TRUE(presence_from(juliet->take(), "lobby@conference.example.com/Nurse", "unavailable"));
  // An owner cannot be kicked.
  admin(romeo, "lobby", "<item affiliation='admin' jid='juliet@example.com'/>", "a1");
  admin(juliet, "lobby", "<item nick='Romeo' role='none'/>", "k3");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::iq_error("k3", "not-allowed")));
}

TEST_F(muc_fixture, a_banned_user_is_removed_and_cannot_come_back) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  juliet->take();
  admin(romeo, "lobby",
        "<item affiliation='outcast' jid='juliet@example.com'><reason>Capulet</reason></item>");
  auto got = juliet->take();
  const core::stanza* out = presence_from(got, "lobby@conference.example.com/Juliet", "unavailable");
  ASSERT_TRUE(out) << im::test::dump(got);
  EXPECT_EQ(codes(*out), (std::set<int>{301, 110}));
  enter(juliet, "lobby", "Juliet");
  EXPECT_TRUE(im::test::has_error(juliet->take().at(0), "forbidden", "auth"));
  h->send(*romeo,
          "<iq type='get' id='list' to='lobby@conference.example.com'><query "
          "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>");
  got = romeo->take();
  const auto* result = im::test::find(got, im::test::iq_result("list"));
  ASSERT_TRUE(result);
  EXPECT_NE(im::test::str(*result).find("juliet@example.com"), std::string::npos);
}

TEST_F(muc_fixture, affiliation_changes_without_the_right_change_nothing) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  romeo->take(), juliet->take();
  admin(juliet, "lobby", "<item affiliation='outcast' jid='romeo@example.com'/>", "x1");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::iq_error("x1", "forbidden")));
  admin(romeo, "lobby", "<item affiliation='none' jid='romeo@example.com'/>", "x2");  // the last owner
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_error("x2", "conflict")));
  h->send(*juliet,
          "<iq type='get' id='x3' to='lobby@conference.example.com'><query "
          "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::iq_error("x3", "forbidden")));
}

TEST_F(muc_fixture, a_malformed_configuration_form_is_refused_and_changes_nothing) {
  start();
  auto romeo = user("romeo");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby", field("muc#roomconfig_membersonly", "perhaps"));
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_error("cfg", "not-acceptable")));
  EXPECT_FALSE(muc->list_rooms().at(0).members_only);
}

TEST_F(muc_fixture, a_reserved_room_is_locked_until_configured) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  enter(romeo, "lobby", "Romeo");
  romeo->take();
  enter(juliet, "lobby", "Juliet");
  EXPECT_TRUE(im::test::has_error(juliet->take().at(0), "item-not-found", "cancel"));
  h->send(*romeo,
          "<iq type='get' id='form' to='lobby@conference.example.com'><query "
          "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  auto got = romeo->take();
  ASSERT_TRUE(im::test::find(got, im::test::iq_result("form")));
  EXPECT_NE(im::test::str(got[0]).find("muc#roomconfig_membersonly"), std::string::npos);
  configure(romeo, "lobby", field("muc#roomconfig_roomname", "Balcony"));
  enter(juliet, "lobby", "Juliet");
  EXPECT_TRUE(presence_from(juliet->take(), "lobby@conference.example.com/Juliet"));
}

TEST_F(muc_fixture, destroying_tells_occupants_the_alternate_venue) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  enter(juliet, "lobby", "Juliet");
  juliet->take();
  h->send(*romeo,
          "<iq type='set' id='d' to='lobby@conference.example.com'><query "
          "xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='hall@conference.example.com'>"
          "<reason>Moved</reason></destroy></query></iq>");
  EXPECT_TRUE(im::test::find(romeo->take(), im::test::iq_result("d")));
  auto got = juliet->take();
  const core::stanza* out = presence_from(got, "lobby@conference.example.com/Juliet", "unavailable");
  ASSERT_TRUE(out) << im::test::dump(got);
  const auto* d = out->xml().child("x", muc_user_ns)->child("destroy", muc_user_ns);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attr("jid"), "hall@conference.example.com");
  EXPECT_EQ(d->child_text("reason", muc_user_ns), "Moved");
  EXPECT_TRUE(muc->list_rooms().empty());
}

TEST_F(muc_fixture, in_a_moderated_room_visitors_speak_once_given_voice) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby", field("muc#roomconfig_moderatedroom", "1"));
  enter(juliet, "lobby", "Juliet");
  EXPECT_EQ(item(*presence_from(juliet->take(), "lobby@conference.example.com/Juliet"))->attr("role"),
            "visitor");
  h->send(*juliet, "<message type='groupchat' to='lobby@conference.example.com'><body>hi</body></message>");
  EXPECT_TRUE(im::test::find(juliet->take(), im::test::message_error("forbidden")));
  admin(romeo, "lobby", "<item nick='Juliet' role='participant'/>");
  romeo->take(), juliet->take();
  h->send(*juliet, "<message type='groupchat' to='lobby@conference.example.com'><body>hi</body></message>");
  EXPECT_EQ(groupchat(romeo->take()).size(), 1u);
}

TEST_F(muc_fixture, a_mediated_invitation_reaches_the_invitee_and_makes_a_member) {
  start();
  auto romeo = user("romeo"), juliet = user("juliet");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby", members_only);
  romeo->take();
  h->send(*romeo,
          "<message to='lobby@conference.example.com'><x xmlns='http://jabber.org/protocol/muc#user'>"
          "<invite to='juliet@example.com'><reason>Come</reason></invite></x></message>");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << im::test::dump(got);
  EXPECT_EQ(got[0].from().str(), "lobby@conference.example.com");
  const auto* inv = got[0].xml().child("x", muc_user_ns)->child("invite", muc_user_ns);
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->attr("from"), "romeo@example.com/r");
  enter(juliet, "lobby", "Juliet");
  EXPECT_TRUE(presence_from(juliet->take(), "lobby@conference.example.com/Juliet"));
}

TEST_F(muc_fixture, a_persistent_room_survives_a_restart_with_config_affiliations_and_history) {
  start();
  auto romeo = user("romeo");
  create(romeo, "lobby", "Romeo");
  configure(romeo, "lobby",
            field("muc#roomconfig_persistentroom", "1") + field("muc#roomconfig_roomname", "Balcony") +
                members_only);
  admin(romeo, "lobby", "<item affiliation='member' jid='juliet@example.com'/>");
  admin(romeo, "lobby", "<item affiliation='outcast' jid='benvolio@example.com'/>");
  h->send(*romeo,
          "<message type='groupchat' to='lobby@conference.example.com'><body>remember me</body></message>");
  restart();
  auto rooms = muc->list_rooms();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].name, "Balcony");
  EXPECT_TRUE(rooms[0].members_only);
  EXPECT_TRUE(rooms[0].persistent);
  auto juliet = user("juliet"), benvolio = user("benvolio"), nurse = user("nurse");
  enter(juliet, "lobby", "Juliet");
  auto got = juliet->take();
  ASSERT_TRUE(presence_from(got, "lobby@conference.example.com/Juliet")) << im::test::dump(got);
  ASSERT_EQ(groupchat(got).size(), 1u);
  EXPECT_EQ(groupchat(got)[0]->xml().child_text("body"), "remember me");
  enter(benvolio, "lobby", "Ben");
  EXPECT_TRUE(im::test::has_error(benvolio->take().at(0), "forbidden"));
  enter(nurse, "lobby", "Nurse");
  EXPECT_TRUE(im::test::has_error(nurse->take().at(0), "registration-required"));
  romeo = user("romeo");
  enter(romeo, "lobby", "Romeo");
  EXPECT_EQ(item(*presence_from(romeo->take(), "lobby@conference.example.com/Romeo"))->attr("affiliation"),
            "owner");
}

TEST_F(muc_fixture, rooms_declared_in_the_configuration_exist_at_start_and_persist) {
  service_config c;
  declared_room d;
  d.name = "hall";
  d.config.name = "Great Hall";
  d.owners = {"romeo@example.com"};
  c.rooms.push_back(d);
  start(c);
  ASSERT_EQ(muc->list_rooms().size(), 1u);
  EXPECT_TRUE(muc->list_rooms()[0].persistent);
  auto juliet = user("juliet");
  enter(juliet, "hall", "Juliet");
  EXPECT_TRUE(presence_from(juliet->take(), "hall@conference.example.com/Juliet"));
  EXPECT_EQ(
      h->sync(muc->set_affiliation(core::jid::parse("hall@conference.example.com").value(),
                                   core::jid::parse("juliet@example.com").value(), affiliation::outcast)),
      "");
  EXPECT_TRUE(presence_from(juliet->take(), "hall@conference.example.com/Juliet", "unavailable"));
  restart(c);
  auto benvolio = user("juliet");
  enter(benvolio, "hall", "Juliet");
  EXPECT_TRUE(im::test::has_error(benvolio->take().at(0), "forbidden"));
  EXPECT_EQ(h->sync(muc->destroy_room(core::jid::parse("hall@conference.example.com").value(), "")), "");
  EXPECT_TRUE(muc->list_rooms().empty());
}

TEST_F(muc_fixture, only_local_users_create_rooms_by_default) {
  start();
  h->inbound(
      "<presence from='tybalt@elsewhere.example/x' to='lobby@conference.example.com/T'>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  ASSERT_EQ(h->remote.size(), 1u);
  EXPECT_TRUE(im::test::has_error(h->remote[0], "not-allowed"));
  EXPECT_TRUE(muc->list_rooms().empty());
}

}  // namespace
}  // namespace ofs::muc::test
