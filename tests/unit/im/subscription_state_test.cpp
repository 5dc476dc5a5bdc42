// RFC 6121 Appendix A, row by row: every subscription stanza in every state, both ways.
#include "server/im/subscription_state.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "server/im/roster_cache.hpp"

using namespace ofs;
using namespace ofs::im;

namespace {

// "none", "to+in", "from+out", "none+out+in", "none+approved"...
storage::roster_item item_of(const std::string& state) {
  auto item = new_item(core::jid::parse("contact@example.com").value());
  std::istringstream in(state);
  std::string part;
  std::getline(in, part, '+');
  item.sub = part == "to"     ? storage::subscription::to
             : part == "from" ? storage::subscription::from
             : part == "both" ? storage::subscription::both
                              : storage::subscription::none;
  while (std::getline(in, part, '+')) {
    item.ask_out |= part == "out";
    item.pending_in |= part == "in";
    item.approved |= part == "approved";
  }
  return item;
}

std::string state_of(const storage::roster_item& i) {
  static constexpr const char* names[] = {"none", "to", "from", "both", "remove"};
  std::string out = names[static_cast<int>(i.sub)];
  if (i.ask_out) out += "+out";
  if (i.pending_in) out += "+in";
  if (i.approved) out += "+approved";
  return out;
}

std::string effects_of(const sub_effect& e) {
  std::string out;
  if (e.forward) out += " forward";
  if (e.reply_subscribed) out += " reply";
  if (e.presence == sub_effect::presence_to_contact::available) out += " available";
  if (e.presence == sub_effect::presence_to_contact::unavailable) out += " unavailable";
  return out.empty() ? "" : out.substr(1);
}

struct row {
  sub_kind kind;
  const char* before;
  const char* after;
  const char* effects;
};

void check(bool outbound, const std::vector<row>& rows) {
  for (const auto& r : rows) {
    auto item = item_of(r.before);
    auto effect = outbound ? outbound_transition(r.kind, item) : inbound_transition(r.kind, item);
    SCOPED_TRACE(std::string(outbound ? "outbound " : "inbound ") + std::string(to_string(r.kind)) + " in " +
                 r.before);
    EXPECT_EQ(state_of(item), r.after);
    EXPECT_EQ(effects_of(effect), r.effects);
    EXPECT_EQ(effect.changed, std::string(r.before) != r.after);
  }
}

constexpr auto subscribe = sub_kind::subscribe;
constexpr auto subscribed = sub_kind::subscribed;
constexpr auto unsubscribe = sub_kind::unsubscribe;
constexpr auto unsubscribed = sub_kind::unsubscribed;

}  // namespace

TEST(subscription_state, outbound_subscribe_a_2_1) {
  check(true, {{subscribe, "none", "none+out", "forward"},
               {subscribe, "none+out", "none+out", "forward"},
               {subscribe, "none+in", "none+out+in", "forward"},
               {subscribe, "none+out+in", "none+out+in", "forward"},
               {subscribe, "to", "to", "forward"},
               {subscribe, "to+in", "to+in", "forward"},
               {subscribe, "from", "from+out", "forward"},
               {subscribe, "from+out", "from+out", "forward"},
               {subscribe, "both", "both", "forward"}});
}

TEST(subscription_state, outbound_unsubscribe_a_2_2) {
  check(true, {{unsubscribe, "none", "none", "forward"},
               {unsubscribe, "none+out", "none", "forward"},
               {unsubscribe, "none+in", "none+in", "forward"},
               {unsubscribe, "none+out+in", "none+in", "forward"},
               {unsubscribe, "to", "none", "forward"},
               {unsubscribe, "to+in", "none+in", "forward"},
               {unsubscribe, "from", "from", "forward"},
               {unsubscribe, "from+out", "from", "forward"},
               {unsubscribe, "both", "from", "forward"}});
}

TEST(subscription_state, outbound_subscribed_a_2_3_and_pre_approval) {
  check(true, {{subscribed, "none", "none+approved", ""},
               {subscribed, "none+approved", "none+approved", ""},
               {subscribed, "none+out", "none+out+approved", ""},
               {subscribed, "none+in", "from", "forward available"},
               {subscribed, "none+out+in", "from+out", "forward available"},
               {subscribed, "to", "to+approved", ""},
               {subscribed, "to+in", "both", "forward available"},
               {subscribed, "from", "from", ""},
               {subscribed, "from+out", "from+out", ""},
               {subscribed, "both", "both", ""}});
}

TEST(subscription_state, outbound_unsubscribed_a_2_4) {
  check(true, {{unsubscribed, "none", "none", ""},
               {unsubscribed, "none+approved", "none", ""},
               {unsubscribed, "none+out", "none+out", ""},
               {unsubscribed, "none+in", "none", "forward"},
               {unsubscribed, "none+out+in", "none+out", "forward"},
               {unsubscribed, "to", "to", ""},
               {unsubscribed, "to+in", "to", "forward"},
               {unsubscribed, "from", "none", "forward unavailable"},
               {unsubscribed, "from+out", "none+out", "forward unavailable"},
               {unsubscribed, "both", "to", "forward unavailable"}});
}

TEST(subscription_state, inbound_subscribe_a_3_1) {
  check(false, {{subscribe, "none", "none+in", "forward"},
                {subscribe, "none+out", "none+out+in", "forward"},
                {subscribe, "none+in", "none+in", "forward"},
                {subscribe, "none+out+in", "none+out+in", "forward"},
                {subscribe, "to", "to+in", "forward"},
                {subscribe, "to+in", "to+in", "forward"},
                {subscribe, "from", "from", "reply"},
                {subscribe, "from+out", "from+out", "reply"},
                {subscribe, "both", "both", "reply"},
                {subscribe, "none+approved", "from", "reply available"},
                {subscribe, "none+out+approved", "from+out", "reply available"},
                {subscribe, "to+approved", "both", "reply available"}});
}

TEST(subscription_state, inbound_subscribed_a_3_3) {
  check(false, {{subscribed, "none", "none", ""},
                {subscribed, "none+out", "to", "forward"},
                {subscribed, "none+in", "none+in", ""},
                {subscribed, "none+out+in", "to+in", "forward"},
                {subscribed, "to", "to", ""},
                {subscribed, "to+in", "to+in", ""},
                {subscribed, "from", "from", ""},
                {subscribed, "from+out", "both", "forward"},
                {subscribed, "both", "both", ""}});
}

TEST(subscription_state, inbound_unsubscribe_a_3_2) {
  check(false, {{unsubscribe, "none", "none", ""},
                {unsubscribe, "none+out", "none+out", ""},
                {unsubscribe, "none+in", "none", "forward"},
                {unsubscribe, "none+out+in", "none+out", "forward"},
                {unsubscribe, "to", "to", ""},
                {unsubscribe, "to+in", "to", "forward"},
                {unsubscribe, "from", "none", "forward unavailable"},
                {unsubscribe, "from+out", "none+out", "forward unavailable"},
                {unsubscribe, "both", "to", "forward unavailable"},
                {unsubscribe, "none+approved", "none+approved", ""}});
}

TEST(subscription_state, inbound_unsubscribed_a_3_4_keeps_pre_approval) {
  check(false, {{unsubscribed, "none", "none", ""},
                {unsubscribed, "none+out", "none", "forward"},
                {unsubscribed, "none+in", "none+in", ""},
                {unsubscribed, "none+out+in", "none+in", "forward"},
                {unsubscribed, "to", "none", "forward"},
                {unsubscribed, "to+in", "none+in", "forward"},
                {unsubscribed, "from", "from", ""},
                {unsubscribed, "from+out", "from", "forward"},
                {unsubscribed, "both", "from", "forward"},
                {unsubscribed, "to+approved", "none+approved", "forward"}});
}

TEST(subscription_state, an_unanswered_request_is_not_in_the_roster) {
  EXPECT_FALSE(listed(item_of("none+in")));
  EXPECT_TRUE(listed(item_of("none+out+in")));
  EXPECT_TRUE(listed(item_of("to+in")));
  EXPECT_TRUE(listed(item_of("none")));
  auto named = item_of("none+in");
  named.name = "Romeo";
  EXPECT_TRUE(listed(named));
  EXPECT_TRUE(vacant(item_of("none")));
  EXPECT_FALSE(vacant(item_of("none+approved")));
}
