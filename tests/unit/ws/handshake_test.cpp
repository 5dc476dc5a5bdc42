#include "ws/handshake.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

namespace ofs::ws {
namespace {
namespace bhttp = boost::beast::http;

request upgrade(std::string_view protocol, std::string_view origin = {}) {
  request req(bhttp::verb::get, "/xmpp-websocket", 11);
  req.set(bhttp::field::upgrade, "websocket");
  req.set(bhttp::field::connection, "Upgrade");
  if (!protocol.empty()) req.set(bhttp::field::sec_websocket_protocol, protocol);
  if (!origin.empty()) req.set(bhttp::field::origin, origin);
  return req;
}

TEST(ws_handshake, xmpp_must_be_among_the_offered_subprotocols) {
  EXPECT_TRUE(offers_xmpp("xmpp"));
  EXPECT_TRUE(offers_xmpp("chat, xmpp"));
  EXPECT_TRUE(offers_xmpp(" xmpp ,chat"));
  EXPECT_FALSE(offers_xmpp(""));
  EXPECT_FALSE(offers_xmpp("xmpp2, chat"));
  EXPECT_FALSE(offers_xmpp("XMPPish"));
  auto r = check_upgrade(upgrade(""), true, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, bhttp::status::bad_request);
  EXPECT_FALSE(check_upgrade(upgrade("xmpp"), false, {}));
}

TEST(ws_handshake, empty_origin_list_allows_browsers_on_loopback_only) {
  options o;
  EXPECT_FALSE(check_upgrade(upgrade("xmpp", "https://anything.example"), true, o));
  auto r = check_upgrade(upgrade("xmpp", "https://anything.example"), false, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, bhttp::status::forbidden);
  EXPECT_FALSE(check_upgrade(upgrade("xmpp"), false, o));  // not a browser: no Origin
}

TEST(ws_handshake, listed_origins_are_matched_exactly_ignoring_case) {
  options o;
  o.allowed_origins = {"https://chat.example.com"};
  EXPECT_FALSE(check_upgrade(upgrade("xmpp", "https://Chat.Example.com"), false, o));
  EXPECT_TRUE(check_upgrade(upgrade("xmpp", "https://chat.example.com.evil"), false, o));
  EXPECT_TRUE(
      check_upgrade(upgrade("xmpp", "https://evil.example"), true, o));  // the list rules loopback too
  o.allowed_origins = {"*"};
  EXPECT_FALSE(check_upgrade(upgrade("xmpp", "https://evil.example"), false, o));
}

TEST(ws_handshake, refusals_carry_a_body_and_close) {
  auto req = upgrade("");
  auto res = refuse(req, *check_upgrade(req, true, {}));
  EXPECT_EQ(res.result(), bhttp::status::bad_request);
  EXPECT_NE(res.body().find("'xmpp' subprotocol"), std::string::npos);
  EXPECT_FALSE(res.keep_alive());
  auto plain = upgrade_required(request(bhttp::verb::get, "/xmpp-websocket", 11));
  EXPECT_EQ(plain.result(), bhttp::status::upgrade_required);
  EXPECT_EQ(plain[bhttp::field::upgrade], "websocket");
  EXPECT_FALSE(plain.body().empty());
}

}  // namespace
}  // namespace ofs::ws
