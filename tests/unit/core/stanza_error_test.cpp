#include "server/core/stanza_error.hpp"

#include <gtest/gtest.h>

using namespace ofs::core;

TEST(stanza_error, every_condition_round_trips_through_its_name) {
  for (int i = 0; i <= static_cast<int>(condition::unexpected_request); ++i) {
    auto c = static_cast<condition>(i);
    EXPECT_EQ(condition_from_string(to_string(c)), c) << to_string(c);
  }
  EXPECT_FALSE(condition_from_string("no-such-condition"));
}

TEST(stanza_error, reply_swaps_addresses_and_carries_the_condition) {
  element iq("iq", "jabber:client");
  iq.set_attr("type", "get").set_attr("id", "q1");
  iq.set_attr("to", "example.com").set_attr("from", "romeo@example.com/orchard");
  iq.add_child(element("query", "urn:example:unknown"));
  auto reply = make_error_reply(stanza::from_element(element(iq)).value(),
                                {condition::service_unavailable, std::nullopt, "nobody here"});
  EXPECT_EQ(reply.type(), "error");
  EXPECT_EQ(reply.id(), "q1");
  EXPECT_EQ(reply.to().str(), "romeo@example.com/orchard");
  EXPECT_EQ(reply.from().str(), "example.com");
  const element* err = reply.xml().child("error");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->attr("type"), "cancel");
  EXPECT_NE(err->child("service-unavailable", ns::stanzas), nullptr);
  EXPECT_EQ(err->child_text("text", ns::stanzas), "nobody here");
}
