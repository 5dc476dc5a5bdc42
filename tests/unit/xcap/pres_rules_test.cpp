#include "xcap/pres_rules.hpp"

#include <gtest/gtest.h>

#include "xcap/app_usage.hpp"
#include "xcap/xml_doc.hpp"

namespace {
using namespace ofs::xcap;
using ofs::core::jid;

constexpr const char* rules = R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
  xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
 <cr:rule id="b"><cr:conditions><cr:identity><cr:one id="xmpp:carol@example.com"/>
   <cr:one id="sip:someone@example.com"/><cr:many domain="spam.example"/>
   <cr:many domain="mixed.example"><cr:except id="xmpp:ok@mixed.example"/></cr:many></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling> polite-block </pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="a"><cr:conditions><cr:identity><cr:one id="xmpp:erin@example.com/phone"/></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="c"><cr:conditions><cr:identity><cr:one id="xmpp:fred@example.com"/></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>
</cr:ruleset>)";

doc_ptr parse(std::string_view text) { return std::move(std::get<doc_ptr>(parse_document(text))); }

TEST(pres_rules, block_and_allow_rules_map_to_the_block_list_and_pre_approvals) {
  auto d = parse(rules);
  auto e = effect_of(d.get());
  // SIP identities and a domain with exceptions have no exact block-list item: left out.
  EXPECT_EQ(e.blocked,
            (std::vector<jid>{jid::parse("carol@example.com").value(), jid::parse("spam.example").value()}));
  EXPECT_EQ(e.allowed, (std::vector<jid>{jid::parse("erin@example.com").value()}));
}

TEST(pres_rules, the_block_list_rule_is_generated_replaced_and_valid) {
  const std::vector<jid> blocked{jid::parse("dave@example.com").value(), jid::parse("evil.example").value()};
  auto text = with_block_rule(rules, blocked);
  auto d = parse(text);
  EXPECT_FALSE(check_document(*find_usage("pres-rules"), d.get())) << text;
  auto e = effect_of(d.get());
  EXPECT_EQ(e.blocked.size(), 4u);
  auto again = with_block_rule(text, {blocked.front()});  // replaced, not added
  EXPECT_EQ(effect_of(parse(again).get()).blocked.size(), 3u);
  auto none = with_block_rule("", {});
  EXPECT_EQ(effect_of(parse(none).get()).blocked.size(), 0u);
  EXPECT_NE(pres_rules_etag("x1", blocked), pres_rules_etag("x1", {blocked.front()}));
  EXPECT_EQ(pres_rules_etag("x1", blocked), pres_rules_etag("x1", blocked));
}

}  // namespace
