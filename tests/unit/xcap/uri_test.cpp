#include "xcap/uri.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ofs::xcap;

xcap_uri ok(std::string_view target) {
  auto r = parse_xcap_uri(target, "/xcap-root");
  if (auto* e = std::get_if<uri_error>(&r)) ADD_FAILURE() << target << ": " << e->why;
  return std::holds_alternative<xcap_uri>(r) ? std::get<xcap_uri>(r) : xcap_uri{};
}

void refused(std::string_view target) {
  auto r = parse_xcap_uri(target, "/xcap-root");
  EXPECT_TRUE(std::holds_alternative<uri_error>(r)) << target << " was accepted";
}

TEST(xcap_uri, splits_document_and_node_selector) {
  auto u =
      ok("/xcap-root/resource-lists/users/alice@example.com/index/~~/resource-lists/"
         "list%5b@name=%22friends%22%5d?xmlns(rl=urn:ietf:params:xml:ns:resource-lists)");
  EXPECT_EQ(u.auid, "resource-lists");
  EXPECT_FALSE(u.global);
  EXPECT_EQ(u.xui, "alice@example.com");
  EXPECT_EQ(u.document, "index");
  EXPECT_TRUE(u.has_selector);
  EXPECT_EQ(u.selector, R"(resource-lists/list[@name="friends"])");
  EXPECT_EQ(u.prefixes.at("rl"), "urn:ietf:params:xml:ns:resource-lists");
}

TEST(xcap_uri, global_documents_and_nested_names) {
  auto g = ok("/xcap-root/xcap-caps/global/index");
  EXPECT_TRUE(g.global);
  EXPECT_EQ(g.document, "index");
  EXPECT_EQ(ok("/xcap-root/pres-rules/users/sip%3Abob%40x/dir/doc").document, "dir/doc");
  EXPECT_EQ(ok("/xcap-root/pres-rules/users/sip%3Abob%40x/dir/doc").xui, "sip:bob@x");
}

TEST(xcap_uri, path_traversal_in_every_spelling_is_refused) {
  for (auto t :
       {"/xcap-root/resource-lists/users/alice@x/../bob@x/index",
        "/xcap-root/resource-lists/users/alice@x/%2e%2e/bob@x/index",
        "/xcap-root/resource-lists/users/alice@x/%2E%2E/index",
        "/xcap-root/resource-lists/users/alice@x/./index",
        "/xcap-root/resource-lists/users/alice%2f..%2fbob@x/index",
        "/xcap-root/resource-lists/users/alice@x/a%5cb", "/xcap-root/resource-lists/users/alice@x/a%00b",
        "/xcap-root/resource-lists/users/alice@x/index%", "/xcap-root/resource-lists/users/alice@x/index%zz",
        "/xcap-root/resource-lists/users/alice@x//index", "/xcap-root/resource-lists/users/alice@x/",
        "/xcap-root/resource-lists/users/alice@x/index/~~/", "/xcap-root/resource-lists/users/alice@x/~~",
        "/xcap-root/resource-lists/users/alice@x/index/~~/a%00", "/xcap-root/resource-lists/users/alice@x",
        "/xcap-rootx/a/users/b/c", "/xcap-root/resource-lists/people/alice@x/index",
        "/xcap-root/resource-lists/users/alice@x/index?xmlns(broken",
        "/xcap-root/resource-lists/users/alice@x/index?select=*"})
    refused(t);
}

TEST(xcap_uri, percent_decoding) {
  EXPECT_EQ(percent_decode("a%20b%2F").value(), "a b/");
  EXPECT_FALSE(percent_decode("%0"));
  EXPECT_FALSE(percent_decode("%00"));
  EXPECT_FALSE(percent_decode("%g1"));
}

}  // namespace
