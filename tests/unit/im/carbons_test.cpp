// XEP-0280 message carbons through the real IM layer.
#include "server/im/carbons.hpp"

#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

void enable(harness& h, fake_client& c, bool on = true) {
  h.send(c, std::string("<iq type='set' id='cb'><") + (on ? "enable" : "disable") +
                " xmlns='urn:xmpp:carbons:2'/></iq>");
  auto got = c.take();
  ASSERT_TRUE(find(got, iq_result("cb"))) << dump(got);
}

// "sent:body" / "received:body" for carbon copies, "body" for plain messages.
strings seen(fake_client& c) {
  strings out;
  for (const auto& s : c.take()) {
    if (s.name() != "message") continue;
    for (std::string kind : {"sent", "received"})
      if (const auto* w = s.xml().child(kind, carbons_ns)) {
        EXPECT_EQ(s.from().str(), c.address().bare_str());
        const auto* m = w->child("forwarded", "urn:xmpp:forward:0");
        out.push_back(kind + ":" +
                      (m && m->child("message") ? m->child("message")->child_text("body") : "?"));
      }
    if (!s.xml().child("sent", carbons_ns) && !s.xml().child("received", carbons_ns))
      out.push_back(s.xml().child_text("body"));
  }
  return out;
}

TEST(carbons, the_senders_other_resources_get_sent_copies) {
  harness h;
  auto a = h.online("romeo@example.com/a");
  auto b = h.online("romeo@example.com/b");
  auto c = h.online("romeo@example.com/c");  // carbons not enabled
  auto juliet = h.online("juliet@example.com/balcony");
  enable(h, *b);
  h.send(*a, "<message to='juliet@example.com' type='chat'><body>hi</body></message>");
  EXPECT_EQ(seen(*juliet), strings{"hi"});
  EXPECT_TRUE(seen(*a).empty());
  EXPECT_TRUE(seen(*c).empty());
  auto copies = b->take();
  ASSERT_EQ(copies.size(), 1u);
  const auto* fwd =
      copies[0].xml().child("sent", carbons_ns)->child("forwarded", "urn:xmpp:forward:0")->child("message");
  EXPECT_EQ(fwd->attr("from"), "romeo@example.com/a");
  EXPECT_EQ(fwd->attr("to"), "juliet@example.com");
  // The copy carries the sender's archive id; the message itself does not.
  const auto* sid = fwd->child("stanza-id", "urn:xmpp:sid:0");
  ASSERT_TRUE(sid) << str(copies[0]);
  EXPECT_EQ(sid->attr("by"), "romeo@example.com");

  enable(h, *b, false);
  h.send(*a, "<message to='juliet@example.com' type='chat'><body>again</body></message>");
  EXPECT_TRUE(seen(*b).empty());
}

TEST(carbons, the_receivers_other_resources_get_received_copies) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto x = h.online("juliet@example.com/x", "<presence><priority>5</priority></presence>");
  auto y = h.online("juliet@example.com/y", "<presence><priority>1</priority></presence>");
  enable(h, *x);
  enable(h, *y);
  h.send(*romeo, "<message to='juliet@example.com/x' type='chat'><body>to x</body></message>");
  EXPECT_EQ(seen(*x), strings{"to x"});
  EXPECT_EQ(seen(*y), strings{"received:to x"});
  // To the bare JID: x (highest priority) gets it, y a copy.
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>to all</body></message>");
  EXPECT_EQ(seen(*x), strings{"to all"});
  EXPECT_EQ(seen(*y), strings{"received:to all"});
  // Same priority: both get the message, so no copies.
  h.send(*y, "<presence><priority>5</priority></presence>");
  romeo->take(), x->take(), y->take();
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>both</body></message>");
  EXPECT_EQ(seen(*x), strings{"both"});
  EXPECT_EQ(seen(*y), strings{"both"});
}

TEST(carbons, private_no_copy_and_ineligible_messages_are_not_copied) {
  harness h;
  auto a = h.online("romeo@example.com/a");
  auto b = h.online("romeo@example.com/b");
  auto jx = h.online("juliet@example.com/x", "<presence><priority>5</priority></presence>");
  auto jy = h.online("juliet@example.com/y");
  enable(h, *b);
  enable(h, *jy);
  h.send(*a,
         "<message to='juliet@example.com/x' type='chat'><body>p</body><private "
         "xmlns='urn:xmpp:carbons:2'/></message>");
  h.send(*a,
         "<message to='juliet@example.com/x' type='chat'><body>n</body><no-copy "
         "xmlns='urn:xmpp:hints'/></message>");
  h.send(*a, "<message to='juliet@example.com/x' type='normal'><subject>no body</subject></message>");
  h.send(*a, "<message to='juliet@example.com/x' type='headline'><body>h</body></message>");
  h.send(*a, "<message to='juliet@example.com/x' type='groupchat'><body>g</body></message>");
  EXPECT_TRUE(seen(*b).empty());
  EXPECT_EQ(seen(*jy), strings{});
  auto got = jx->take();
  EXPECT_EQ(count(got, [](const core::stanza& s) { return s.xml().child("private", carbons_ns); }), 1u)
      << dump(got);
  h.send(*a, "<message to='juliet@example.com/x'><body>normal with body</body></message>");
  EXPECT_EQ(seen(*b), strings{"sent:normal with body"});
  EXPECT_EQ(seen(*jy), strings{"received:normal with body"});
}

TEST(carbons, only_for_the_own_account_and_advertised) {
  harness h;
  auto a = h.online("romeo@example.com/a");
  h.send(*a, "<iq type='set' id='x' to='juliet@example.com'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
  EXPECT_TRUE(find(a->take(), iq_error("x", "bad-request")));
  h.send(
      *a,
      "<iq type='get' id='d' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  auto got = a->take();
  ASSERT_TRUE(find(got, iq_result("d")));
  EXPECT_NE(str(*find(got, iq_result("d"))).find("urn:xmpp:carbons:2"), std::string::npos);
  // A session that ends takes its setting with it.
  enable(h, *a);
  h.unbind(*a);
  auto a2 = h.online("romeo@example.com/a");
  auto j = h.online("juliet@example.com/x");
  auto other = h.online("romeo@example.com/other");
  h.send(*other, "<message to='juliet@example.com' type='chat'><body>hi</body></message>");
  EXPECT_TRUE(seen(*a2).empty());
}

}  // namespace
}  // namespace ofs::im::test
