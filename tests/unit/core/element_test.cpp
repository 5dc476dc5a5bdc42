#include "server/core/element.hpp"

#include <gtest/gtest.h>

#include "server/core/stanza.hpp"

using namespace ofs::core;

TEST(element, attributes_children_and_text) {
  element msg("message", "jabber:client");
  msg.set_attr("type", "chat").set_attr("type", "normal");
  msg.add_child(element("body")).add_text("hello ").add_text("world");
  msg.add_child(element("x", "jabber:x:oob"));
  EXPECT_EQ(msg.attr("type"), "normal");
  EXPECT_EQ(msg.attributes().size(), 1u);
  EXPECT_EQ(msg.child_text("body"), "hello world");
  EXPECT_EQ(msg.child("body")->children().size(), 1u);  // adjacent text kept in one node
  EXPECT_NE(msg.child("x", "jabber:x:oob"), nullptr);
  EXPECT_EQ(msg.child("x", "other"), nullptr);
  msg.remove_children("x");
  EXPECT_EQ(msg.child("x"), nullptr);
  msg.remove_attr("type");
  EXPECT_FALSE(msg.has_attr("type"));
}

TEST(stanza, parses_addresses_and_keeps_them_canonical) {
  element e("message", "jabber:client");
  e.set_attr("to", "Juliet@Example.COM/Balcony").set_attr("from", "romeo@example.net");
  auto s = stanza::from_element(element(e)).value();
  EXPECT_EQ(s.kind(), stanza_kind::message);
  EXPECT_EQ(s.to().str(), "juliet@example.com/Balcony");
  EXPECT_EQ(s.xml().attr("to"), "juliet@example.com/Balcony");
  e.set_attr("to", "@bad");
  EXPECT_FALSE(stanza::from_element(std::move(e)));
  EXPECT_EQ(e.attr("to"), "@bad");  // a rejected element is left to answer from
}

TEST(stanza, a_known_sender_is_stamped_not_parsed) {
  element e("message", "jabber:client");
  e.set_attr("to", "juliet@example.com").set_attr("from", "someone@else.example");
  auto romeo = ofs::core::jid::parse("romeo@example.net/orchard").value();
  auto s = stanza::from_element(std::move(e), romeo).value();
  EXPECT_EQ(s.from(), romeo);
  EXPECT_EQ(s.xml().attr("from"), "romeo@example.net/orchard");
}

TEST(stanza, copies_share_the_tree_until_written) {
  element e("presence", "jabber:client");
  auto a = stanza::from_element(element(e)).value();
  stanza b = a;
  EXPECT_EQ(&a.xml(), &b.xml());
  b.set_from(jid::parse("romeo@example.net/orchard").value());
  EXPECT_NE(&a.xml(), &b.xml());
  EXPECT_FALSE(a.xml().has_attr("from"));
  EXPECT_EQ(b.xml().attr("from"), "romeo@example.net/orchard");
}
