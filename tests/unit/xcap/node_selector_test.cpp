#include "xcap/node_selector.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ofs::xcap;
constexpr const char* rl = "urn:ietf:params:xml:ns:resource-lists";

node_selector ok(std::string_view text, const ns_bindings& prefixes = {}) {
  auto r = parse_node_selector(text, prefixes, rl);
  if (auto* e = std::get_if<selector_error>(&r)) ADD_FAILURE() << text << ": " << e->why;
  return std::holds_alternative<node_selector>(r) ? std::get<node_selector>(r) : node_selector{};
}

std::string refused(std::string_view text, const ns_bindings& prefixes = {}) {
  auto r = parse_node_selector(text, prefixes, rl);
  EXPECT_TRUE(std::holds_alternative<selector_error>(r)) << text << " was accepted";
  return std::holds_alternative<selector_error>(r) ? std::get<selector_error>(r).why : "";
}

TEST(node_selector, parses_the_rfc_4825_example_steps) {
  auto s = ok(R"(resource-lists/list[@name="friends"]/entry[2]/display-name)");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].name.local, "resource-lists");
  EXPECT_EQ(s.steps[0].name.ns, rl);
  ASSERT_TRUE(s.steps[1].attr);
  EXPECT_EQ(s.steps[1].attr->local, "name");
  EXPECT_EQ(s.steps[1].attr->value, "friends");
  EXPECT_EQ(s.steps[2].position, 2u);
  EXPECT_EQ(s.what, node_selector::target::element);
}

TEST(node_selector, by_position_and_attribute_and_terminals) {
  auto s = ok(R"(resource-lists/list[1][@name='a b/c]']/@name)");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[1].position, 1u);
  EXPECT_EQ(s.steps[1].attr->value, "a b/c]");
  EXPECT_EQ(s.what, node_selector::target::attribute);
  EXPECT_EQ(s.attr_local, "name");
  EXPECT_EQ(ok("resource-lists/*[3]/namespace::*").what, node_selector::target::namespaces);
  EXPECT_TRUE(ok("*").steps[0].name.any);
}

TEST(node_selector, resolves_prefixes_from_xmlns_and_references_in_values) {
  auto s = ok(R"(cp:ruleset/cp:rule[@id="a&amp;b&#x41;"])", {{"cp", "urn:ietf:params:xml:ns:common-policy"}});
  EXPECT_EQ(s.steps[0].name.ns, "urn:ietf:params:xml:ns:common-policy");
  EXPECT_EQ(s.steps[1].attr->value, "a&bA");
  EXPECT_NE(refused("x:ruleset").find("not bound"), std::string::npos);
}

TEST(node_selector, refuses_what_is_not_the_rfc_subset) {
  // XPath that a real XPath engine would run: functions, axes, unions, boolean logic.
  for (auto text : {R"(resource-lists/list[@name="a" or 1=1])",
                    "resource-lists//entry",
                    "resource-lists/..",
                    "resource-lists/list[position()>0]",
                    "resource-lists | /etc/passwd",
                    R"(resource-lists/list[@name=concat("a","b")])",
                    "resource-lists/list[0]",
                    "resource-lists/list[1][2]",
                    R"(resource-lists/list[@name="x"][@uri="y"])",
                    "/resource-lists",
                    "resource-lists/",
                    "",
                    "resource-lists/list[@name=unquoted]",
                    R"(resource-lists/list[@name="a<b"])",
                    R"(resource-lists/list[@name="&xxe;"])",
                    "resource-lists/list[99999999999]",
                    "@name",
                    "namespace::*",
                    "resource-lists/text()",
                    "resource-lists/list[@name=\"unterminated"})
    refused(text);
}

TEST(node_selector, hostile_sizes_are_refused_not_recursed) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += (i ? "/" : "") + std::string("a");
  EXPECT_NE(refused(deep).find("too many steps"), std::string::npos);
  EXPECT_NE(refused(std::string(5000, 'a')).find("too long"), std::string::npos);
  std::string brackets = "a";
  for (int i = 0; i < 1000; ++i) brackets += "[1]";
  refused(brackets);
}

TEST(node_selector, parent_drops_the_last_element_step_only) {
  auto s = ok("resource-lists/list/entry");
  EXPECT_EQ(parent_of(s).steps.size(), 2u);
  auto a = ok("resource-lists/list/@name");
  EXPECT_EQ(parent_of(a).steps.size(), 2u);
}

}  // namespace
