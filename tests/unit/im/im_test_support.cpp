#include "im_test_support.hpp"

#include <algorithm>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::im::test {

core::stanza parse(std::string_view xml) {
  xml::stream_parser p;
  std::string doc =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='example.com' version='1.0'>";
  doc += xml;
  EXPECT_FALSE(p.feed(doc)) << xml;
  while (auto e = p.next())
    if (auto* s = std::get_if<xml::stanza_event>(&*e))
      return core::stanza::from_element(std::move(s->xml)).value();
  ADD_FAILURE() << "no stanza in " << xml;
  return {};
}

std::string str(const core::stanza& s) { return xml::to_string(s.xml()); }

std::string dump(const stanzas& v) {
  std::string out = "received:\n";
  for (const auto& s : v) out += "  " + str(s) + "\n";
  return out;
}

std::size_t count(const stanzas& v, const predicate& p) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), p));
}

predicate presence(std::string type, std::string from) {
  return [=](const core::stanza& s) {
    return s.kind() == core::stanza_kind::presence && s.type() == type && s.from().str() == from;
  };
}

predicate iq_result(std::string id) {
  return [=](const core::stanza& s) { return s.name() == "iq" && s.type() == "result" && s.id() == id; };
}

predicate iq_error(std::string id, std::string condition) {
  return [=](const core::stanza& s) {
    if (s.name() != "iq" || s.type() != "error" || s.id() != id) return false;
    const core::element* e = s.xml().child("error");
    return e && e->child(condition, core::ns::stanzas);
  };
}

strings pushes(const stanzas& v) {
  strings out;
  for (const auto& s : v) {
    if (s.name() != "iq" || s.type() != "set") continue;
    const core::element* q = s.xml().child("query", "jabber:iq:roster");
    const core::element* item = q ? q->child("item") : nullptr;
    if (!item) continue;
    std::string text = std::string(item->attr("jid")) + " " + std::string(item->attr("subscription"));
    if (item->has_attr("ask")) text += " ask";
    if (item->has_attr("approved")) text += " approved";
    out.push_back(std::move(text));
  }
  return out;
}

harness::harness() {
  router.set_remote_route([this](core::stanza& s) {
    remote.push_back(s);
    return true;
  });
  svc.install();
  for (auto name : {"romeo", "juliet", "nurse", "benvolio", "mercutio"})
    EXPECT_TRUE(sync(store.create_account(jid(std::string(name) + "@example.com"), {})).value());
}

session_ptr harness::login(std::string_view full) {
  auto s = std::make_shared<fake_session>(jid(full));
  svc.bind(s);
  run();
  return s;
}

void harness::send(fake_session& from, std::string_view xml) {
  core::stanza s = parse(xml);
  s.set_from(from.address());
  svc.from_client(from, std::move(s));
  run();
}

void harness::inbound(std::string_view xml) {
  router.route(parse(xml));
  run();
}

void harness::unbind(fake_session& s) {
  svc.unbind(s);
  run();
}

session_ptr harness::online(std::string_view full, std::string_view presence) {
  auto s = login(full);
  send(*s, "<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
  send(*s, presence);
  s->take();
  return s;
}

void harness::seed(std::string_view owner, std::string_view contact, storage::subscription sub) {
  auto item = new_item(jid(contact));
  item.sub = sub;
  auto op = store.put_roster_item(jid(owner), std::move(item));
  EXPECT_TRUE(sync(std::move(op)));
}

void harness::befriend(std::string_view a, std::string_view b) {
  seed(a, b, storage::subscription::both);
  seed(b, a, storage::subscription::both);
}

std::string harness::state(std::string_view owner, std::string_view contact) {
  auto roster = sync(store.load_roster(jid(owner))).value();
  for (const auto& i : roster.items) {
    if (i.contact != jid(contact)) continue;
    static constexpr const char* names[] = {"none", "to", "from", "both", "remove"};
    std::string out = names[static_cast<int>(i.sub)];
    if (i.ask_out) out += "+out";
    if (i.pending_in) out += "+in";
    if (i.approved) out += "+approved";
    return out;
  }
  return "absent";
}

}  // namespace ofs::im::test
