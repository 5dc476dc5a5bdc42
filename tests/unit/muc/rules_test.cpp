// The room's pure rules: nicknames (PRECIS), roles and affiliations, history selection, and
// the configuration form.
#include <gtest/gtest.h>

#include "server/im/feature_support.hpp"
#include "server/muc/history.hpp"
#include "server/muc/nickname.hpp"
#include "server/muc/roles.hpp"
#include "server/muc/room_config.hpp"

namespace ofs::muc {
namespace {

TEST(nickname, spaces_are_mapped_trimmed_and_collapsed_and_width_folded) {
  EXPECT_EQ(prepare_nickname("  Romeo \xe2\x80\x83 Montague "), "Romeo Montague");    // em space
  EXPECT_EQ(prepare_nickname("\xef\xbc\xa1"), "A");                                   // fullwidth A (NFKC)
  EXPECT_EQ(prepare_nickname("Juliet \xf0\x9f\x8c\xb9"), "Juliet \xf0\x9f\x8c\xb9");  // symbols stay
}

TEST(nickname, empty_overlong_invisible_and_control_characters_are_refused) {
  EXPECT_FALSE(prepare_nickname(""));
  EXPECT_FALSE(prepare_nickname("   "));
  EXPECT_FALSE(prepare_nickname(std::string(1024, 'a')));
  EXPECT_TRUE(prepare_nickname(std::string(1023, 'a')));
  EXPECT_FALSE(prepare_nickname("ro\xe2\x80\x8bmeo"));  // zero-width space
  EXPECT_FALSE(prepare_nickname("ro\xe2\x80\xaemeo"));  // right-to-left override
  EXPECT_FALSE(prepare_nickname("\xef\xbb\xbfromeo"));  // byte order mark
  EXPECT_FALSE(prepare_nickname("\xe3\x85\xa4"));       // Hangul filler: invisible
  EXPECT_FALSE(prepare_nickname("ro\x07meo"));
  EXPECT_FALSE(prepare_nickname("ro\xc2\x85meo"));  // C1 control
  EXPECT_FALSE(prepare_nickname("\xc3\x28"));       // not UTF-8
  EXPECT_FALSE(prepare_nickname("\xc0\xaf"));       // overlong encoding
}

TEST(roles, entering_role_follows_affiliation_and_moderation) {
  EXPECT_EQ(default_role(affiliation::owner, false), role::moderator);
  EXPECT_EQ(default_role(affiliation::admin, true), role::moderator);
  EXPECT_EQ(default_role(affiliation::member, true), role::participant);
  EXPECT_EQ(default_role(affiliation::none, false), role::participant);
  EXPECT_EQ(default_role(affiliation::none, true), role::visitor);
}

TEST(roles, who_may_change_whom) {
  using a = affiliation;
  using r = role;
  EXPECT_TRUE(may_set_role(a::none, r::moderator, a::none, r::participant, r::none));     // kick
  EXPECT_FALSE(may_set_role(a::none, r::participant, a::none, r::participant, r::none));  // not a moderator
  EXPECT_FALSE(may_set_role(a::admin, r::moderator, a::owner, r::moderator, r::none));    // owners stay
  EXPECT_FALSE(may_set_role(a::none, r::moderator, a::none, r::moderator, r::participant));
  EXPECT_TRUE(may_set_role(a::admin, r::moderator, a::none, r::moderator, r::participant));
  EXPECT_FALSE(may_set_role(a::member, r::moderator, a::none, r::participant, r::moderator));
  EXPECT_TRUE(may_set_affiliation(a::owner, a::none, a::admin));
  EXPECT_TRUE(may_set_affiliation(a::admin, a::none, a::outcast));
  EXPECT_FALSE(may_set_affiliation(a::admin, a::admin, a::outcast));
  EXPECT_FALSE(may_set_affiliation(a::admin, a::none, a::owner));
  EXPECT_FALSE(may_set_affiliation(a::member, a::none, a::member));
  EXPECT_EQ(affiliation_from_string("outcast"), a::outcast);
  EXPECT_FALSE(affiliation_from_string("king"));
}

core::stanza msg(int i) {
  core::element m("message", "jabber:client");
  m.set_attr("type", "groupchat");
  m.add_child(core::element("body", "jabber:client")).add_text("message " + std::to_string(i));
  return im::make_stanza(std::move(m));
}

TEST(history, keeps_capacity_and_selects_by_each_limit) {
  history h(5);
  const auto t0 = sys_clock::now() - std::chrono::minutes(10);
  for (int i = 0; i < 8; ++i) h.add(msg(i), t0 + std::chrono::minutes(i));
  EXPECT_EQ(h.entries().size(), 5u);
  const auto now = t0 + std::chrono::minutes(10);
  EXPECT_EQ(h.select({}, now).size(), 5u);
  history_request two;
  two.max_stanzas = 2;
  auto got = h.select(two, now);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->message.xml().child_text("body"), "message 6");  // oldest of the newest two
  history_request none;
  none.max_chars = 0;
  EXPECT_TRUE(h.select(none, now).empty());
  history_request recent;
  recent.seconds = std::chrono::seconds(250);  // messages 6 and 7 minutes after t0
  EXPECT_EQ(h.select(recent, now).size(), 2u);
  history_request since;
  since.since = t0 + std::chrono::minutes(6);
  EXPECT_EQ(h.select(since, now).size(), 1u);
}

TEST(history, request_is_read_from_the_join) {
  core::element x("x", "http://jabber.org/protocol/muc");
  auto& h = x.add_child(core::element("history", "http://jabber.org/protocol/muc"));
  h.set_attr("maxstanzas", "3");
  h.set_attr("maxchars", "junk");
  h.set_attr("since", "1970-01-01T00:01:40Z");
  auto r = parse_history_request(&x);
  EXPECT_EQ(r.max_stanzas, 3u);
  EXPECT_FALSE(r.max_chars);
  ASSERT_TRUE(r.since);
  EXPECT_EQ(*r.since, sys_clock::from_time_t(100));
}

core::element form(std::initializer_list<std::pair<const char*, const char*>> fields) {
  core::element x("x", "jabber:x:data");
  x.set_attr("type", "submit");
  for (auto [var, value] : fields) {
    auto& f = x.add_child(core::element("field", "jabber:x:data"));
    f.set_attr("var", var);
    f.add_child(core::element("value", "jabber:x:data")).add_text(value);
  }
  return x;
}

TEST(room_config, submitted_form_is_applied_and_round_trips) {
  room_config c;
  auto x = form({{"FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"},
                 {"muc#roomconfig_roomname", "Balcony"},
                 {"muc#roomconfig_membersonly", "1"},
                 {"muc#roomconfig_passwordprotectedroom", "true"},
                 {"muc#roomconfig_roomsecret", "capulet"},
                 {"muc#roomconfig_whois", "anyone"},
                 {"muc#roomconfig_maxusers", "50"}});
  ASSERT_FALSE(apply_config_form(x, c, 100));
  EXPECT_EQ(c.name, "Balcony");
  EXPECT_TRUE(c.members_only);
  EXPECT_TRUE(c.password_protected);
  EXPECT_TRUE(c.non_anonymous);
  EXPECT_EQ(c.max_occupants, 50u);
  room_config back;
  ASSERT_FALSE(apply_config_form(make_submit_form(c), back, 100));
  EXPECT_EQ(back, c);
}

TEST(room_config, malformed_forms_change_nothing) {
  room_config c;
  const room_config before = c;
  EXPECT_TRUE(apply_config_form(form({{"muc#roomconfig_roomname", "x"}}), c, 100));  // no FORM_TYPE
  EXPECT_TRUE(apply_config_form(form({{"FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"},
                                      {"muc#roomconfig_roomname", "x"},
                                      {"muc#roomconfig_moderatedroom", "maybe"}}),
                                c, 100));
  EXPECT_TRUE(apply_config_form(
      form({{"FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"}, {"muc#roomconfig_maxusers", "101"}}),
      c, 100));
  EXPECT_TRUE(apply_config_form(form({{"FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"},
                                      {"muc#roomconfig_passwordprotectedroom", "1"}}),
                                c, 100));  // no password
  EXPECT_EQ(c, before);
}

}  // namespace
}  // namespace ofs::muc
