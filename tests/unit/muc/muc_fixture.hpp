#pragma once
// The MUC service on the IM harness (a real router and IM layer, fake client sessions):
// clients enter rooms at conference.example.com and read what the room sends them.
#include <memory>
#include <set>

#include "server/muc/service.hpp"
#include "tests/unit/im/im_harness.hpp"

namespace ofs::muc::test {

using im::test::client_ptr;
using im::test::stanzas;

class muc_fixture : public ::testing::Test {
protected:
  void TearDown() override { muc.reset(); }

  void start(service_config c = {}) {
    c.domain = "conference.example.com";
    muc = std::make_unique<service>(h->router, h->svc, h->store, h->io.get_executor(), std::move(c));
    ASSERT_EQ(h->sync(muc->start()), "");
  }
  // A restart on the same backend: a new IM layer and MUC service, nobody online.
  void restart(service_config c = {}) {
    muc.reset();
    auto backend = h->backend;
    h.reset();
    h = std::make_unique<im::test::harness>(im::im_config{}, backend);
    start(std::move(c));
  }
  client_ptr user(std::string_view name) { return h->online(std::string(name) + "@example.com/r"); }
  // Sends an entering presence; `x` is the MUC <x/>'s content.
  void enter(const client_ptr& c, std::string_view room, std::string_view nick, std::string_view x = "") {
    h->send(*c, "<presence to='" + std::string(room) + "@conference.example.com/" + std::string(nick) +
                    "'><x xmlns='http://jabber.org/protocol/muc'>" + std::string(x) + "</x></presence>");
  }
  // Creates an instant room (entering, then accepting the default configuration).
  void create(const client_ptr& owner, std::string_view room, std::string_view nick) {
    enter(owner, room, nick);
    h->send(*owner, "<iq type='set' id='inst' to='" + std::string(room) +
                        "@conference.example.com'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                        "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
    owner->take();
  }
  void configure(const client_ptr& owner, std::string_view room, std::string_view fields) {
    h->send(*owner, "<iq type='set' id='cfg' to='" + std::string(room) +
                        "@conference.example.com'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                        "http://jabber.org/protocol/muc#roomconfig</value></field>" +
                        std::string(fields) + "</x></query></iq>");
  }
  static std::string field(std::string_view var, std::string_view value) {
    return "<field var='" + std::string(var) + "'><value>" + std::string(value) + "</value></field>";
  }
  void admin(const client_ptr& actor, std::string_view room, std::string_view item,
             std::string_view id = "adm") {
    h->send(*actor, "<iq type='set' id='" + std::string(id) + "' to='" + std::string(room) +
                        "@conference.example.com'><query xmlns='http://jabber.org/protocol/muc#admin'>" +
                        std::string(item) + "</query></iq>");
  }

  // The muc#user status codes of a stanza.
  static std::set<int> codes(const core::stanza& s) {
    std::set<int> out;
    if (const auto* x = s.xml().child("x", muc_user_ns))
      for (const auto& c : x->children())
        if (c.name() == "status") out.insert(std::stoi(std::string(c.attr("code"))));
    return out;
  }
  static const core::element* item(const core::stanza& s) {
    const auto* x = s.xml().child("x", muc_user_ns);
    return x ? x->child("item", muc_user_ns) : nullptr;
  }
  static const core::stanza* presence_from(const stanzas& v, std::string_view from,
                                           std::string_view type = "") {
    return im::test::find(v, im::test::presence(std::string(type), std::string(from)));
  }
  static std::vector<const core::stanza*> groupchat(const stanzas& v) {
    std::vector<const core::stanza*> out;
    for (const auto& s : v)
      if (s.name() == "message" && s.type() == "groupchat" && s.xml().child("body")) out.push_back(&s);
    return out;
  }

  std::unique_ptr<im::test::harness> h = std::make_unique<im::test::harness>();
  std::unique_ptr<service> muc;
};

inline constexpr std::string_view lobby = "lobby@conference.example.com";

}  // namespace ofs::muc::test
