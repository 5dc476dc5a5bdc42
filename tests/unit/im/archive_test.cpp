// XEP-0313 archive, XEP-0359 stanza ids and XEP-0441 preferences through the real IM layer.
#include "server/im/archive.hpp"

#include "server/im/mam_query.hpp"
#include "server/im/stanza_ids.hpp"
#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

constexpr std::string_view sid = "urn:xmpp:sid:0";

std::string body(const core::element& m) { return m.child_text("body"); }

// The ids of every <stanza-id/> of m, as "by=id".
strings stanza_ids_of(const core::stanza& s) {
  strings out;
  for (const auto& c : s.xml().children())
    if (c.name() == "stanza-id" && c.xmlns() == sid)
      out.push_back(std::string(c.attr("by")) + "=" + std::string(c.attr("id")));
  return out;
}

struct page {
  std::vector<std::string> ids, bodies;
  std::vector<core::element> forwarded;
  const core::element* fin = nullptr;
  stanzas all, results;
  std::string first, last, count;
  bool has_index = false;
  bool complete = false;
};

// Sends a MAM query from c (rsm and form are the inner XML) and collects the answer.
page query(harness& h, fake_client& c, std::string form, std::string rsm, std::string id = "q") {
  std::string xml = "<iq type='set' id='" + id + "'><query xmlns='urn:xmpp:mam:2' queryid='qid'>";
  if (!form.empty())
    xml +=
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
        "type='hidden'><value>urn:xmpp:mam:2</value></field>" +
        form + "</x>";
  if (!rsm.empty()) xml += "<set xmlns='http://jabber.org/protocol/rsm'>" + rsm + "</set>";
  xml += "</query></iq>";
  h.send(c, xml);
  page p;
  p.all = c.take();
  for (const auto& s : p.all) {
    if (const auto* r = s.xml().child("result", mam_ns)) {
      p.results.push_back(s);
      EXPECT_EQ(r->attr("queryid"), "qid");
      EXPECT_EQ(s.from().str(), c.address().bare_str());
      const auto* fwd = r->child("forwarded", forward_ns);
      EXPECT_TRUE(fwd && fwd->child("delay", "urn:xmpp:delay")) << str(s);
      const auto* m = fwd ? fwd->child("message") : nullptr;
      EXPECT_TRUE(m) << str(s);
      p.ids.push_back(std::string(r->attr("id")));
      if (m) p.bodies.push_back(body(*m)), p.forwarded.push_back(*m);
    }
    if (iq_result(id)(s)) {
      p.fin = s.xml().child("fin", mam_ns);
      if (!p.fin) continue;
      p.complete = p.fin->attr("complete") == "true";
      if (const auto* set = p.fin->child("set", rsm_ns)) {
        p.first = set->child_text("first", rsm_ns);
        p.last = set->child_text("last", rsm_ns);
        p.count = set->child_text("count", rsm_ns);
        if (const auto* f = set->child("first", rsm_ns)) p.has_index = f->has_attr("index");
      }
    }
  }
  return p;
}

void say(harness& h, fake_client& from, std::string to, std::string text, std::string extra = {}) {
  h.send(from, "<message to='" + to + "' type='chat'><body>" + text + "</body>" + extra + "</message>");
}

TEST(archive, both_sides_keep_the_message_and_the_receiver_gets_its_stanza_id) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *romeo, "juliet@example.com", "hello");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  auto ids = stanza_ids_of(got[0]);
  ASSERT_EQ(ids.size(), 1u) << str(got[0]);  // none by the sender
  ASSERT_TRUE(ids[0].starts_with("juliet@example.com="));
  const std::string juliet_id = ids[0].substr(std::string("juliet@example.com=").size());

  auto mine = query(h, *juliet, "", "");
  EXPECT_EQ(mine.ids, strings{juliet_id});
  EXPECT_EQ(mine.bodies, strings{"hello"});
  EXPECT_EQ(mine.forwarded[0].attr("from"), "romeo@example.com/orchard");
  EXPECT_TRUE(stanza_ids_of(core::stanza::from_element(core::element(mine.forwarded[0])).value()).empty());
  EXPECT_TRUE(mine.complete);
  EXPECT_EQ(mine.count, "1");

  auto his = query(h, *romeo, "", "");
  ASSERT_EQ(his.bodies, strings{"hello"});
  EXPECT_NE(his.ids[0], juliet_id);  // each archive its own id
  EXPECT_EQ(h.svc.archive_stats().written.load(), 2u);
}

TEST(archive, forged_stanza_ids_are_replaced) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *romeo, "juliet@example.com", "forged",
      "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@example.com' id='fake'/>"
      "<stanza-id xmlns='urn:xmpp:sid:0' by='romeo@example.com' id='fake2'/>"
      "<stanza-id xmlns='urn:xmpp:sid:0' by='muc.example.org' id='kept'/>");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u);
  auto ids = stanza_ids_of(got[0]);
  ASSERT_EQ(ids.size(), 2u) << str(got[0]);
  EXPECT_EQ(ids[0], "muc.example.org=kept");  // not ours to judge
  EXPECT_TRUE(ids[1].starts_with("juliet@example.com=")) << ids[1];
  EXPECT_NE(ids[1], "juliet@example.com=fake");
  // From another server too: a stamp by the receiver is never taken as it comes.
  h.inbound(
      "<message from='tybalt@example.org/x' to='juliet@example.com/balcony' type='chat'><body>hi</body>"
      "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@example.com' id='0000000000000000000000a'/></message>");
  got = juliet->take();
  ASSERT_EQ(got.size(), 1u);
  ids = stanza_ids_of(got[0]);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_NE(ids[0], "juliet@example.com=0000000000000000000000a");
  EXPECT_EQ(query(h, *juliet, "", "").bodies, (strings{"forged", "hi"}));
}

TEST(archive, chat_states_and_no_store_hints_are_not_archived) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*romeo,
         "<message to='juliet@example.com' type='chat'><composing "
         "xmlns='http://jabber.org/protocol/chatstates'/></message>");
  say(h, *romeo, "juliet@example.com", "secret", "<no-store xmlns='urn:xmpp:hints'/>");
  say(h, *romeo, "juliet@example.com", "transient", "<no-permanent-store xmlns='urn:xmpp:hints'/>");
  h.send(*romeo, "<message to='juliet@example.com' type='headline'><body>news</body></message>");
  auto got = juliet->take();
  EXPECT_EQ(got.size(), 4u) << dump(got);  // all delivered
  for (const auto& s : got) EXPECT_TRUE(stanza_ids_of(s).empty()) << str(s);
  say(h, *romeo, "juliet@example.com", "kept", "<active xmlns='http://jabber.org/protocol/chatstates'/>");
  EXPECT_EQ(query(h, *juliet, "", "").bodies, strings{"kept"});
  EXPECT_EQ(query(h, *romeo, "", "").bodies, strings{"kept"});
}

TEST(archive, pages_forward_and_backward) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  for (int i = 1; i <= 5; ++i) say(h, *romeo, "juliet@example.com", std::to_string(i));
  auto p = query(h, *juliet, "", "<max>2</max>");
  EXPECT_EQ(p.bodies, (strings{"1", "2"}));
  EXPECT_FALSE(p.complete);
  EXPECT_EQ(p.count, "5");
  EXPECT_EQ(p.first, p.ids[0]);
  EXPECT_FALSE(p.has_index);  // optional, and slixmpp stops paging backwards on it
  EXPECT_EQ(p.last, p.ids[1]);
  p = query(h, *juliet, "", "<max>2</max><after>" + p.last + "</after>");
  EXPECT_EQ(p.bodies, (strings{"3", "4"}));
  p = query(h, *juliet, "", "<max>2</max><after>" + p.last + "</after>");
  EXPECT_EQ(p.bodies, strings{"5"});
  EXPECT_TRUE(p.complete);

  p = query(h, *juliet, "", "<max>2</max><before/>");
  EXPECT_EQ(p.bodies, (strings{"4", "5"}));
  EXPECT_FALSE(p.complete);
  p = query(h, *juliet, "", "<max>2</max><before>" + p.first + "</before>");
  EXPECT_EQ(p.bodies, (strings{"2", "3"}));
  p = query(h, *juliet, "", "<max>2</max><before>" + p.first + "</before>");
  EXPECT_EQ(p.bodies, strings{"1"});
  EXPECT_TRUE(p.complete);
  // Ids sort as the archive does.
  auto all = query(h, *juliet, "", "");
  EXPECT_TRUE(std::is_sorted(all.ids.begin(), all.ids.end()));
}

TEST(archive, filters_by_with_time_and_ids) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto nurse = h.online("nurse@example.com/kitchen");
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *romeo, "juliet@example.com", "r1");
  say(h, *nurse, "juliet@example.com", "n1");
  say(h, *romeo, "juliet@example.com", "r2");
  say(h, *juliet, "romeo@example.com/orchard", "j1");
  auto all = query(h, *juliet, "", "");
  ASSERT_EQ(all.bodies, (strings{"r1", "n1", "r2", "j1"}));
  EXPECT_EQ(query(h, *juliet, "<field var='with'><value>romeo@example.com</value></field>", "").bodies,
            (strings{"r1", "r2", "j1"}));
  EXPECT_EQ(
      query(h, *juliet, "<field var='with'><value>nurse@example.com/kitchen</value></field>", "").bodies,
      strings{"n1"});
  EXPECT_TRUE(query(h, *juliet, "<field var='with'><value>nurse@example.com/attic</value></field>", "")
                  .bodies.empty());
  EXPECT_EQ(query(h, *juliet,
                  "<field var='after-id'><value>" + all.ids[0] + "</value></field>" +
                      "<field var='before-id'><value>" + all.ids[3] + "</value></field>",
                  "")
                .bodies,
            (strings{"n1", "r2"}));
  // start and end from the delay stamps of the results, inclusive.
  auto stamp = [&](std::size_t i) {
    auto r = all.results.at(i)
                 .xml()
                 .child("result", mam_ns)
                 ->child("forwarded", forward_ns)
                 ->child("delay", "urn:xmpp:delay");
    return std::string(r->attr("stamp"));
  };
  EXPECT_EQ(query(h, *juliet,
                  "<field var='start'><value>" + stamp(1) + "</value></field><field var='end'><value>" +
                      stamp(2) + "</value></field>",
                  "")
                .bodies,
            (strings{"n1", "r2"}));
}

TEST(archive, bad_queries_get_errors) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *romeo, "juliet@example.com", "x");
  auto p = query(h, *juliet, "", "<after>0000000000000000000000000</after>", "e1");
  EXPECT_TRUE(find(p.all, iq_error("e1", "item-not-found"))) << dump(p.all);
  p = query(h, *juliet, "", "<after>" + std::string(23, '0') + "</after>", "e2");
  EXPECT_TRUE(find(p.all, iq_error("e2", "item-not-found"))) << dump(p.all);
  p = query(h, *juliet, "<field var='with'><value>@@</value></field>", "", "e3");
  EXPECT_TRUE(find(p.all, iq_error("e3", "bad-request"))) << dump(p.all);
  p = query(h, *juliet, "<field var='start'><value>yesterday</value></field>", "", "e4");
  EXPECT_TRUE(find(p.all, iq_error("e4", "bad-request"))) << dump(p.all);
  p = query(h, *juliet, "<field var='colour'><value>red</value></field>", "", "e5");
  EXPECT_TRUE(find(p.all, iq_error("e5", "bad-request"))) << dump(p.all);
  h.send(*romeo, "<iq type='set' id='e6' to='juliet@example.com'><query xmlns='urn:xmpp:mam:2'/></iq>");
  EXPECT_TRUE(find(romeo->take(), iq_error("e6", "forbidden")));
  h.send(*juliet, "<iq type='get' id='f1'><query xmlns='urn:xmpp:mam:2'/></iq>");
  auto form = juliet->take();
  const auto* r = find(form, iq_result("f1"));
  ASSERT_TRUE(r) << dump(form);
  EXPECT_NE(str(*r).find("var=\"before-id\""), std::string::npos) << str(*r);
}

TEST(archive, max_page_caps_what_the_client_asks) {
  im_config c;
  c.archive.max_page = 3;
  harness h(c);
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  for (int i = 1; i <= 5; ++i) say(h, *romeo, "juliet@example.com", std::to_string(i));
  EXPECT_EQ(query(h, *juliet, "", "<max>50</max>").bodies.size(), 3u);
  EXPECT_EQ(query(h, *juliet, "", "").bodies.size(), 3u);
}

TEST(archive, preferences_decide_what_is_kept) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto nurse = h.online("nurse@example.com/kitchen");
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*juliet, "<iq type='get' id='p0'><prefs xmlns='urn:xmpp:mam:2'/></iq>");
  auto got = juliet->take();
  ASSERT_TRUE(find(got, iq_result("p0"))) << dump(got);
  EXPECT_EQ(find(got, iq_result("p0"))->xml().child("prefs", mam_ns)->attr("default"), "always");

  h.send(*juliet,
         "<iq type='set' id='p1'><prefs xmlns='urn:xmpp:mam:2' default='never'>"
         "<always><jid>nurse@example.com</jid></always><never/></prefs></iq>");
  got = juliet->take();
  ASSERT_TRUE(find(got, iq_result("p1"))) << dump(got);
  say(h, *romeo, "juliet@example.com", "from romeo");
  say(h, *nurse, "juliet@example.com", "from nurse");
  got = juliet->take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(stanza_ids_of(got[0]).empty());  // not archived: no id
  EXPECT_EQ(stanza_ids_of(got[1]).size(), 1u);
  EXPECT_EQ(query(h, *juliet, "", "").bodies, strings{"from nurse"});
  EXPECT_EQ(query(h, *romeo, "", "").bodies, strings{"from romeo"});  // romeo's own choice

  // Roster mode: only contacts in the roster.
  h.seed("benvolio@example.com", "juliet@example.com", storage::subscription::both);
  auto benvolio = h.online("benvolio@example.com/square");
  h.send(*benvolio, "<iq type='set' id='p2'><prefs xmlns='urn:xmpp:mam:2' default='roster'/></iq>");
  say(h, *benvolio, "juliet@example.com", "to a contact");
  say(h, *benvolio, "mercutio@example.com", "to a stranger");
  EXPECT_EQ(query(h, *benvolio, "", "").bodies, strings{"to a contact"});

  h.send(*juliet, "<iq type='set' id='p3'><prefs xmlns='urn:xmpp:mam:2' default='sometimes'/></iq>");
  EXPECT_TRUE(find(juliet->take(), iq_error("p3", "bad-request")));
  // Stored: a new server (same store) knows them.
  harness h2({}, h.backend);
  auto j2 = h2.online("juliet@example.com/phone");
  h2.send(*j2, "<iq type='get' id='p4'><prefs xmlns='urn:xmpp:mam:2'/></iq>");
  got = j2->take();
  ASSERT_TRUE(find(got, iq_result("p4"))) << dump(got);
  EXPECT_NE(str(*find(got, iq_result("p4"))).find("nurse@example.com"), std::string::npos);
}

TEST(archive, offline_messages_carry_the_archive_id) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  say(h, *romeo, "juliet@example.com", "while away");
  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 1u);
  auto juliet = h.online("juliet@example.com/balcony");
  auto p = query(h, *juliet, "", "");
  ASSERT_EQ(p.bodies, strings{"while away"});
  EXPECT_NE(stored[0].xml.find("by=\"juliet@example.com\" id=\"" + p.ids[0] + "\""), std::string::npos)
      << stored[0].xml;
}

TEST(archive, a_failed_write_is_counted_and_delivery_goes_on) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  h.store.fail(faults::append_archive, 2);
  say(h, *romeo, "juliet@example.com", "lost from the archive");
  EXPECT_EQ(juliet->take().size(), 1u);
  EXPECT_EQ(h.svc.archive_stats().failed.load(), 2u);
  EXPECT_TRUE(query(h, *juliet, "", "").bodies.empty());
  h.store.fail(faults::query_archive, 1);
  auto p = query(h, *juliet, "", "", "qf");
  EXPECT_TRUE(find(p.all, iq_error("qf", "internal-server-error", "wait"))) << dump(p.all);
}

TEST(archive, remote_peers_are_archived_on_our_side) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *juliet, "tybalt@example.org", "to afar");
  ASSERT_EQ(h.remote.size(), 1u);
  EXPECT_TRUE(stanza_ids_of(h.remote[0]).empty()) << str(h.remote[0]);
  h.inbound(
      "<message from='tybalt@example.org/x' to='juliet@example.com' type='chat'><body>from "
      "afar</body></message>");
  auto p = query(h, *juliet, "<field var='with'><value>tybalt@example.org</value></field>", "");
  EXPECT_EQ(p.bodies, (strings{"to afar", "from afar"}));
}

TEST(archive, advertised_on_the_account) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*juliet,
         "<iq type='get' id='d' to='juliet@example.com'><query "
         "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  auto got = juliet->take();
  ASSERT_TRUE(find(got, iq_result("d"))) << dump(got);
  const auto text = str(*find(got, iq_result("d")));
  EXPECT_NE(text.find("var=\"urn:xmpp:mam:2\""), std::string::npos) << text;
  EXPECT_NE(text.find("var=\"urn:xmpp:sid:0\""), std::string::npos) << text;
}

TEST(archive, disabled_keeps_nothing_and_answers_nothing) {
  im_config c;
  c.archive.enabled = false;
  harness h(c);
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  say(h, *romeo, "juliet@example.com", "x");
  EXPECT_TRUE(stanza_ids_of(juliet->take().at(0)).empty());
  auto p = query(h, *juliet, "", "", "off");
  EXPECT_TRUE(find(p.all, iq_error("off", "service-unavailable"))) << dump(p.all);
}

TEST(stanza_ids, sort_by_time_and_tell_own_from_forged) {
  stanza_ids ids;
  auto owner = jid("juliet@example.com");
  auto a = ids.issue(owner), b = ids.issue(owner);
  EXPECT_LT(a.seq, b.seq);
  EXPECT_LT(a.id, b.id);
  EXPECT_EQ(a.id.size(), 23u);
  EXPECT_TRUE(ids.ours(owner, a.id));
  EXPECT_FALSE(ids.ours(jid("romeo@example.com"), a.id));
  EXPECT_FALSE(stanza_ids().ours(owner, a.id));  // another key: another server run
  EXPECT_EQ(stanza_ids::seq_of(a.id), a.seq);
  EXPECT_FALSE(stanza_ids::seq_of("short"));
  EXPECT_FALSE(stanza_ids::seq_of(std::string(22, '0') + "!"));
}

TEST(stanza_ids, timestamps_round_trip_and_accept_offsets) {
  constexpr std::int64_t billion_seconds = 1'000'000'000'000'000;  // in microseconds
  EXPECT_EQ(timestamp_of(billion_seconds + 123'456), "2001-09-09T01:46:40.123456Z");
  EXPECT_EQ(parse_timestamp("2001-09-09T01:46:40.123456Z"), billion_seconds + 123'456);
  EXPECT_EQ(parse_timestamp("2001-09-09T01:46:40Z"), billion_seconds);
  EXPECT_EQ(parse_timestamp("2001-09-09T03:46:40+02:00"), billion_seconds);
  EXPECT_EQ(parse_timestamp("2001-09-09T01:46:40.5Z"), billion_seconds + 500'000);
  EXPECT_FALSE(parse_timestamp("2001-09-09 01:46:40Z"));
  EXPECT_FALSE(parse_timestamp("2001-09-09T01:46:40"));
  EXPECT_FALSE(parse_timestamp("2001-13-09T01:46:40Z"));
}

}  // namespace
}  // namespace ofs::im::test
