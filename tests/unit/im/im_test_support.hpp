#pragma once
// A real router, IM service and memory store with fake client sessions, on one io_context
// run until idle after every step, so that scenarios read like the RFC's examples.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xmpp/serializer.hpp"
#include "server/xmpp/stream_parser.hpp"

namespace ofs::im::test {

namespace asio = boost::asio;

// Records what it is handed, from any thread.
class fake_session final : public client_session {
public:
  explicit fake_session(core::jid address) : address_(std::move(address)) {}
  const core::jid& address() const override { return address_; }
  void deliver(core::stanza s) override {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(s));
  }
  void terminate(std::string_view condition, std::string_view) override {
    std::lock_guard lock(mutex_);
    terminated_ = condition;
  }
  std::string remote_address() const override { return "192.0.2.1"; }
  // What arrived since the last take().
  std::vector<core::stanza> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(received_, {});
  }

private:
  core::jid address_;
  std::mutex mutex_;
  std::vector<core::stanza> received_;
  std::string terminated_;
};

using session_ptr = std::shared_ptr<fake_session>;
using stanzas = std::vector<core::stanza>;

inline core::jid jid(std::string_view text) { return core::jid::parse(text).value(); }

// One stanza as a client would send it, parsed by the real stream parser.
inline core::stanza parse(std::string_view xml) {
  xmpp::stream_parser p;
  std::string doc =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='example.com' version='1.0'>";
  doc += xml;
  EXPECT_FALSE(p.feed(doc)) << xml;
  while (auto e = p.next())
    if (auto* s = std::get_if<xmpp::stanza_event>(&*e))
      return core::stanza::from_element(std::move(s->xml)).value();
  ADD_FAILURE() << "no stanza in " << xml;
  return {};
}

inline std::string str(const core::stanza& s) { return xmpp::to_string(s.xml()); }
inline std::string dump(const stanzas& v) {
  std::string out = "received:\n";
  for (const auto& s : v) out += "  " + str(s) + "\n";
  return out;
}

using predicate = std::function<bool(const core::stanza&)>;
inline std::size_t count(const stanzas& v, const predicate& p) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), p));
}
// A presence of this type ("" = available) from this address (a full or bare JID).
inline predicate presence(std::string type, std::string from) {
  return [=](const core::stanza& s) {
    return s.kind() == core::stanza_kind::presence && s.type() == type && s.from().str() == from;
  };
}
inline predicate iq_result(std::string id) {
  return [=](const core::stanza& s) { return s.name() == "iq" && s.type() == "result" && s.id() == id; };
}
inline predicate iq_error(std::string id, std::string condition) {
  return [=](const core::stanza& s) {
    if (s.name() != "iq" || s.type() != "error" || s.id() != id) return false;
    const core::element* e = s.xml().child("error");
    return e && e->child(condition, core::ns::stanzas);
  };
}

// "contact subscription[ ask=subscribe][ approved]" for every roster push in v, in order.
inline std::vector<std::string> pushes(const stanzas& v) {
  std::vector<std::string> out;
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
using strings = std::vector<std::string>;

struct harness {
  asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  service svc{router, store, io.get_executor(), {}};
  stanzas remote;  // what went to other domains (the s2s route)

  harness() {
    router.set_remote_route([this](core::stanza& s) {
      remote.push_back(s);
      return true;
    });
    svc.install();
    for (auto name : {"romeo", "juliet", "nurse", "benvolio", "mercutio"})
      EXPECT_TRUE(sync(store.create_account(jid(std::string(name) + "@example.com"), {})).value());
  }

  template <class T>
  T sync(asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    run();
    return f.get();
  }
  void run() {
    io.restart();
    io.run();
  }

  session_ptr login(std::string_view full) {
    auto s = std::make_shared<fake_session>(jid(full));
    svc.bind(s);
    run();
    return s;
  }
  // As a front-end does: 'from' stamped with the session's full JID.
  void send(fake_session& from, std::string_view xml) {
    core::stanza s = parse(xml);
    s.set_from(from.address());
    svc.from_client(from, std::move(s));
    run();
  }
  // From another server, through the router as s2s would hand it over.
  void inbound(std::string_view xml) {
    router.route(parse(xml));
    run();
  }
  void unbind(fake_session& s) {
    svc.unbind(s);
    run();
  }
  // Logged in, roster requested, initial presence sent; what arrived so far is dropped.
  session_ptr online(std::string_view full, std::string_view presence = "<presence/>") {
    auto s = login(full);
    send(*s, "<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
    send(*s, presence);
    s->take();
    return s;
  }
  // Subscription state written straight into the store, as left by earlier sessions.
  void seed(std::string_view owner, std::string_view contact, storage::subscription sub) {
    auto item = new_item(jid(contact));
    item.sub = sub;
    auto op = store.put_roster_item(jid(owner), std::move(item));
    EXPECT_TRUE(sync(std::move(op)));
  }
  void befriend(std::string_view a, std::string_view b) {
    seed(a, b, storage::subscription::both);
    seed(b, a, storage::subscription::both);
  }
  // The stored state of owner's item for contact: "none", "to+out", "from+in", "both+approved"...
  std::string state(std::string_view owner, std::string_view contact) {
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
};

}  // namespace ofs::im::test
