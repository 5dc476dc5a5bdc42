#include <gtest/gtest.h>

#include "xcap/app_usage.hpp"
#include "xcap/document_service.hpp"
#include "xcap/errors.hpp"
#include "xcap/roster_document.hpp"
#include "xcap/xml_doc.hpp"

namespace {
using namespace ofs::xcap;

std::optional<conflict> check(std::string_view auid, std::string_view text) {
  auto parsed = parse_document(text);
  if (auto* c = std::get_if<conflict>(&parsed)) return *c;
  return check_document(*find_usage(auid), std::get<doc_ptr>(parsed).get());
}

TEST(xcap_schemas, every_schema_compiles_from_the_embedded_copies) {
  EXPECT_EQ(schema_set::instance().load_error(), "");
}

TEST(xcap_schemas, resource_lists_are_validated_and_unique) {
  EXPECT_FALSE(check("resource-lists", R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="a"><entry uri="sip:x@y"><display-name xml:lang="en">X</display-name></entry></list></resource-lists>)"));
  auto bad =
      check("resource-lists",
            R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><entry/></resource-lists>)");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->tag, conflict_tag::schema_validation_error);
  auto dup = check("resource-lists", R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="a"><entry uri="sip:x@y"/><entry uri="sip:x@y"/></list></resource-lists>)");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->tag, conflict_tag::uniqueness_failure);
  EXPECT_NE(error_body(*dup).find(R"(<exists field="resource-lists/list[@name=&quot;a&quot;]/entry/@uri">)"),
            std::string::npos)
      << error_body(*dup);
}

TEST(xcap_schemas, pres_rules_pidf_and_rls_services_examples_validate) {
  // RFC 5025 section 7's example.
  EXPECT_FALSE(check("pres-rules", R"(<?xml version="1.0" encoding="UTF-8"?>
   <cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
    xmlns:cr="urn:ietf:params:xml:ns:common-policy">
    <cr:rule id="a"><cr:conditions><cr:identity><cr:one id="sip:user@example.com"/></cr:identity></cr:conditions>
     <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
     <cr:transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-activities>true</pr:provide-activities>
      <pr:provide-user-input>bare</pr:provide-user-input></cr:transformations></cr:rule></cr:ruleset>)"));
  auto bad_action = check("pres-rules", R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
     xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="a"><cr:actions>
     <pr:sub-handling>maybe</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>)");
  ASSERT_TRUE(bad_action);
  EXPECT_EQ(bad_action->tag, conflict_tag::schema_validation_error);
  EXPECT_FALSE(check("pidf-manipulation", R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b">
    <tuple id="t1"><status><basic>closed</basic></status><note>Away until Monday</note></tuple></presence>)"));
  EXPECT_FALSE(check("rls-services", R"(<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"
    xmlns:rl="urn:ietf:params:xml:ns:resource-lists"><service uri="sip:mybuddies@example.com">
    <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22l1%22%5d</resource-list>
    <packages><package>presence</package></packages></service>
    <service uri="sip:marketing@example.com"><list name="marketing"><rl:entry uri="sip:joe@example.com"/></list>
    <packages><package>presence</package></packages></service></rls-services>)"));
}

TEST(xcap_errors, bodies_escape_the_phrase_and_are_well_formed) {
  conflict c{conflict_tag::no_parent, "no \"parent\" <here>", "resource-lists/users/a@b/index"};
  const auto body = error_body(c);
  EXPECT_NE(body.find(R"(<no-parent phrase="no &quot;parent&quot; &lt;here&gt;"><ancestor>)"),
            std::string::npos);
  EXPECT_TRUE(std::holds_alternative<doc_ptr>(parse_document(body)));
}

TEST(xcap_etags, if_match_lists_and_star) {
  EXPECT_TRUE(etag_matches(R"("a", "b")", "b", true));
  EXPECT_FALSE(etag_matches(R"("a", "b")", "c", true));
  EXPECT_TRUE(etag_matches("*", "c", true));
  EXPECT_FALSE(etag_matches("*", "", false));
  EXPECT_FALSE(etag_matches(R"(W/"b")", "a", true));
  EXPECT_FALSE(etag_matches(R"("b)", "b", true));
}

TEST(roster_document, the_roster_as_a_resource_list_and_back) {
  ofs::storage::roster r;
  r.version = 7;
  ofs::storage::roster_item bob;
  bob.contact = ofs::core::jid::parse("bob@example.com").value();
  bob.name = "Bob & co";
  bob.groups = {"Friends", "Work"};
  ofs::storage::roster_item carol;
  carol.contact = ofs::core::jid::parse("carol@example.com").value();
  r.items = {bob, carol};
  const auto text = roster_to_document(r);
  EXPECT_FALSE(check("resource-lists", text)) << text;
  auto parsed = parse_document(text);
  auto wanted = std::get<wanted_roster>(contacts_of(std::get<doc_ptr>(parsed).get()));
  ASSERT_EQ(wanted.size(), 2u);
  EXPECT_EQ(wanted[bob.contact].name, "Bob & co");
  EXPECT_EQ(wanted[bob.contact].groups, (std::vector<std::string>{"Friends", "Work"}));
  EXPECT_TRUE(wanted[carol.contact].groups.empty());
  EXPECT_EQ(roster_etag(r.version), "roster-7");
  auto not_xmpp = parse_document(R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list><entry uri="tel:+123"/></list></resource-lists>)");
  auto refused = contacts_of(std::get<doc_ptr>(not_xmpp).get());
  ASSERT_TRUE(std::holds_alternative<conflict>(refused));
  EXPECT_EQ(std::get<conflict>(refused).tag, conflict_tag::constraint_failure);
}

}  // namespace

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "server/storage/memory_store.hpp"

namespace {

template <class T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run_for(std::chrono::seconds(5));
  return f.get();
}

TEST(xcap_offline_note, is_the_note_of_the_pidf_manipulation_document) {
  ofs::storage::memory_store store;
  const auto alice = ofs::core::jid::parse("alice@example.com").value();
  ASSERT_TRUE(run(store.create_account(alice, {})).value());
  EXPECT_FALSE(run(ofs::xcap::offline_note(store, alice)));
  ofs::storage::xcap_document d{
      "pidf-manipulation", "index",
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:alice@example.com">
    <tuple id="t"><status><basic>closed</basic></status><note>On holiday</note></tuple></presence>)",
      "e1"};
  ASSERT_TRUE(run(store.put_xcap_document(alice, d)));
  EXPECT_EQ(run(ofs::xcap::offline_note(store, alice)), "On holiday");
}

}  // namespace
