#include "tests/unit/im/features_harness.hpp"

namespace ofs::im::features_test {

core::element parse_element(std::string_view xml) {
  xml::stream_parser p;
  std::string doc = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  doc += xml;
  EXPECT_FALSE(p.feed(doc)) << xml;
  while (auto e = p.next())
    if (auto* s = std::get_if<xml::stanza_event>(&*e)) return std::move(s->xml);
  ADD_FAILURE() << "no element in " << xml;
  return {};
}

core::stanza parse(std::string_view xml) { return core::stanza::from_element(parse_element(xml)).value(); }

std::string str(const core::stanza& s) { return xml::to_string(s.xml()); }

std::string dump(const stanzas& v) {
  std::string out = "received:\n";
  for (const auto& s : v) out += "  " + str(s) + "\n";
  return out;
}

harness::harness(im_config config, std::shared_ptr<storage::memory_store> shared)
    : store(std::move(shared)), svc(router, *store, io.get_executor(), std::move(config)) {
  router.set_remote_route([this](core::stanza& s) {
    remote.push_back(s);
    return true;
  });
  svc.install();
  for (auto name : {"romeo", "juliet", "nurse", "benvolio"})
    sync(store->create_account(jid(std::string(name) + "@example.com"), {}));
}

void harness::run() {
  io.restart();
  io.run_for(std::chrono::seconds(10));
}

client_ptr harness::login(std::string_view full, std::string ip) {
  auto c = std::make_shared<fake_client>(jid(full), std::move(ip));
  svc.bind(c);
  run();
  return c;
}

client_ptr harness::online(std::string_view full, std::string_view presence) {
  auto c = login(full);
  send(*c, presence);
  c->take();
  return c;
}

void harness::send(fake_client& from, std::string_view xml) {
  core::stanza s = parse(xml);
  s.set_from(from.address());
  svc.from_client(from, std::move(s));
  run();
}

void harness::inbound(std::string_view xml) {
  router.route(parse(xml));
  run();
}

void harness::unbind(fake_client& c) {
  svc.unbind(c);
  run();
}

void harness::seed(std::string_view owner, std::string_view contact, storage::subscription sub) {
  storage::roster_item item;
  item.contact = jid(contact);
  item.sub = sub;
  auto op = store->put_roster_item(jid(owner), std::move(item));
  EXPECT_TRUE(sync(std::move(op)));
}

void harness::befriend(std::string_view a, std::string_view b) {
  seed(a, b, storage::subscription::both);
  seed(b, a, storage::subscription::both);
}

std::vector<storage::offline_message> harness::offline(std::string_view owner) {
  return sync(store->load_offline(jid(owner))).value();
}

}  // namespace ofs::im::features_test
