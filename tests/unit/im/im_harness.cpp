#include "tests/unit/im/im_harness.hpp"

#include <algorithm>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::im::test {

void fake_client::deliver(core::stanza s) {
  {
    std::lock_guard lock(mutex_);
    if (!ended_) return received_.push_back(std::move(s));
  }
  router_.undeliverable(std::move(s), *this);  // what c2s_stream does once closing
}

void fake_client::deliver(core::stanza s, std::function<void(bool)> written) {
  {
    std::lock_guard lock(mutex_);
    if (!ended_) {
      received_.push_back(std::move(s));
      if (holding_) return held_.push_back(std::move(written));
    }
  }
  written(!ended_);
}

void fake_client::terminate(std::string_view condition, std::string_view) {
  std::lock_guard lock(mutex_);
  terminated_ = condition;
}

stanzas fake_client::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(received_, {});
}

std::string fake_client::terminated() {
  std::lock_guard lock(mutex_);
  return terminated_;
}

void fake_client::end() {
  std::lock_guard lock(mutex_);
  ended_ = true;
}

void fake_client::hold_writes() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}

void fake_client::finish_writes(bool ok) {
  std::vector<std::function<void(bool)>> held;
  {
    std::lock_guard lock(mutex_);
    held.swap(held_);
    holding_ = false;
  }
  for (auto& fn : held) fn(ok);
}

core::element parse_element(std::string_view xml) {
  xml::stream_parser p;
  std::string doc =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='example.com' version='1.0'>";
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

const core::stanza* find(const stanzas& v, const predicate& p) {
  for (const auto& s : v)
    if (p(s)) return &s;
  return nullptr;
}

std::size_t count(const stanzas& v, const predicate& p) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), p));
}

bool has_error(const core::stanza& s, std::string_view condition, std::string_view type) {
  const core::element* e = s.xml().child("error");
  return s.type() == "error" && e && e->child(condition, core::ns::stanzas) &&
         (type.empty() || e->attr("type") == type);
}

predicate presence(std::string type, std::string from) {
  return [=](const core::stanza& s) {
    return s.kind() == core::stanza_kind::presence && s.type() == type && s.from().str() == from;
  };
}

predicate iq_result(std::string id) {
  return [=](const core::stanza& s) { return s.name() == "iq" && s.type() == "result" && s.id() == id; };
}

predicate iq_error(std::string id, std::string condition, std::string type) {
  return [=](const core::stanza& s) {
    return s.name() == "iq" && s.id() == id && has_error(s, condition, type);
  };
}

predicate message_error(std::string condition, std::string type) {
  return [=](const core::stanza& s) { return s.name() == "message" && has_error(s, condition, type); };
}

predicate chat_message() {
  return [](const core::stanza& s) { return s.name() == "message" && s.type() != "error"; };
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

harness::harness(im_config config, std::shared_ptr<storage::store> b)
    : backend(std::move(b)), svc(router, store, io.get_executor(), std::move(config)) {
  router.set_remote_route([this](core::stanza& s) {
    remote.push_back(s);
    return true;
  });
  svc.install();
  // A backend shared with an earlier harness has them already.
  for (auto name : {"romeo", "juliet", "nurse", "benvolio", "mercutio"})
    EXPECT_TRUE(sync(store.create_account(jid(std::string(name) + "@example.com"), {})).has_value());
}

harness::~harness() {
  store.heal();
  store.release();
  run();
}

void harness::run() {
  io.restart();
  io.run_for(deadline);
  if (!io.stopped()) ADD_FAILURE() << "the IM layer was still busy after " << deadline.count() << " s";
}

bool harness::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) {
      ADD_FAILURE() << "not done after " << timeout.count() << " ms";
      return false;
    }
    if (io.run_one_for(std::chrono::milliseconds(20)) == 0 && io.stopped()) io.restart();
  }
  return true;
}

client_ptr harness::login(std::string_view full, std::string ip) {
  auto c = std::make_shared<fake_client>(jid(full), std::move(ip), router);
  svc.bind(c);
  run();
  return c;
}

client_ptr harness::online(std::string_view full, std::string_view presence) {
  auto c = login(full);
  send(*c, "<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
  send(*c, presence);
  c->take();
  return c;
}

void harness::send(fake_client& from, std::string_view xml, bool post_only) {
  core::stanza s = parse(xml);
  s.set_from(from.address());
  svc.from_client(from, std::move(s));
  if (!post_only) run();
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

std::vector<storage::offline_message> harness::offline(std::string_view owner) {
  return sync(store.load_offline(jid(owner))).value();
}

}  // namespace ofs::im::test
