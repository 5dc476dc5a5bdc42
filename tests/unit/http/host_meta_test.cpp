#include "http/host_meta.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using namespace ofs::http;

namespace {

request_context peer(const char* address, bool tls = false) {
  request_context c;
  c.remote = address;
  c.loopback = net::ip::make_address(address).is_loopback();
  c.tls = tls;
  return c;
}

std::vector<std::string> hrefs(const std::vector<alt_connection>& links) {
  std::vector<std::string> out;
  for (const auto& l : links) out.push_back(l.href);
  return out;
}

}  // namespace

TEST(host_of, takes_names_and_ip_literals_and_refuses_the_rest) {
  EXPECT_EQ(host_of("example.com"), "example.com");
  EXPECT_EQ(host_of("chat.example.com:5281"), "chat.example.com");
  EXPECT_EQ(host_of("[::1]:5280"), "[::1]");
  EXPECT_EQ(host_of("127.0.0.1"), "127.0.0.1");
  for (auto bad : {"", "a b", "x'/><Link href='evil", "x\",\"href\":\"evil", "x:", "x:99999999", "[::1",
                   "[zz]", "a@b", "a/b", "a:80:80"})
    EXPECT_FALSE(host_of(bad)) << bad;
}

TEST(valid_public_url, http_or_https_with_host_and_path_only) {
  EXPECT_TRUE(valid_public_url("https://chat.example.com"));
  EXPECT_TRUE(valid_public_url("https://example.com:8443/xmpp"));
  EXPECT_TRUE(valid_public_url("http://[::1]:5280"));
  for (auto bad : {"ftp://x", "https://", "https://x/a?b", "https://x/a#b", "https://x/'", "wss://x"})
    EXPECT_FALSE(valid_public_url(bad)) << bad;
}

TEST(host_meta, secure_links_always_plain_ones_to_loopback_over_http) {
  host_meta hm({});
  hm.set_ports(5280, 5281);
  EXPECT_EQ(hrefs(hm.links("h", peer("127.0.0.1"))),
            (std::vector<std::string>{"wss://h:5281/xmpp-websocket", "https://h:5281/http-bind",
                                      "ws://h:5280/xmpp-websocket", "http://h:5280/http-bind"}));
  EXPECT_EQ(hrefs(hm.links("h", peer("192.0.2.1"))),
            (std::vector<std::string>{"wss://h:5281/xmpp-websocket", "https://h:5281/http-bind"}));
  EXPECT_EQ(hm.links("h", peer("::1", true)).size(), 2u);  // asked over HTTPS: secure only
  host_meta permissive({"", true});
  permissive.set_ports(5280, 0);  // no HTTPS listener
  EXPECT_EQ(hrefs(permissive.links("h", peer("192.0.2.1"))),
            (std::vector<std::string>{"ws://h:5280/xmpp-websocket", "http://h:5280/http-bind"}));
}

TEST(host_meta, a_public_url_replaces_what_the_request_says) {
  host_meta hm({"https://example.com/chat", false});
  hm.set_ports(5280, 5281);
  auto links = hm.links("ignored", peer("127.0.0.1"));
  EXPECT_EQ(hrefs(links), (std::vector<std::string>{"wss://example.com/chat/xmpp-websocket",
                                                    "https://example.com/chat/http-bind"}));
  EXPECT_EQ(links[0].rel, "urn:xmpp:alt-connections:websocket");
  EXPECT_EQ(links[1].rel, "urn:xmpp:alt-connections:xbosh");
}

TEST(host_meta, documents_escape_and_carry_cors) {
  std::vector<alt_connection> links{{"r", "a'<&\"\\b"}};
  EXPECT_EQ(
      to_xrd(links),
      "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
      "  <Link rel='r' href='a&apos;&lt;&amp;&quot;\\b'/>\n</XRD>\n");
  EXPECT_EQ(to_jrd(links), "{\"links\":[{\"rel\":\"r\",\"href\":\"a'<&\\\"\\\\b\"}]}\n");

  host_meta hm({});
  hm.set_ports(5280, 5281);
  request req(bhttp::verb::get, "/.well-known/host-meta.json", 11);
  req.set(bhttp::field::host, "localhost:5280");
  auto res = hm.serve(req, peer("127.0.0.1"), true);
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_NE(res.body().find("wss://localhost:5281/xmpp-websocket"), std::string::npos);
  req.set(bhttp::field::host, "evil'><x");
  auto bad = hm.serve(req, peer("127.0.0.1"), false);
  EXPECT_EQ(bad.result(), bhttp::status::bad_request);
  EXPECT_NE(bad.body().find("Host"), std::string::npos);
}
