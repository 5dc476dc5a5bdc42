// The status image server's pure parts: request names and options, viewer tokens, entity
// tags, the privacy decision and the image cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "http/status/image_cache.hpp"
#include "http/status/policy.hpp"
#include "http/status/sis_request.hpp"
#include "http/status/viewer_token.hpp"

namespace {
using namespace ofs::http::status;
using ofs::core::jid;
namespace render = ofs::render;
using namespace std::chrono;

jid J(const char* s) { return jid::parse(s).value(); }

sis_request ok(std::string_view target) {
  auto r = parse_target(target);
  if (auto* no = std::get_if<refusal>(&r)) ADD_FAILURE() << target << ": " << no->reason;
  return std::get<sis_request>(r);
}
unsigned refused(std::string_view target) {
  auto r = parse_target(target);
  auto* no = std::get_if<refusal>(&r);
  return no ? no->status : 0;
}

TEST(sis_request, names_kinds_and_options) {
  auto r = ok("/sis/Alice@Example.org.png?size=48&scale=2&style=badge&theme=dark&v=123");
  EXPECT_EQ(r.user.str(), "alice@example.org");
  EXPECT_EQ(r.kind, answer::png);
  EXPECT_EQ(r.options.size, 48);
  EXPECT_EQ(r.options.scale, 2);
  EXPECT_EQ(r.options.style, render::style::badge);
  EXPECT_EQ(r.options.theme, render::theme::dark);
  EXPECT_EQ(ok("/sis/a@b.svg").options.format, render::format::svg);
  EXPECT_EQ(ok("/sis/a@b.json").kind, answer::json);
  EXPECT_EQ(ok("/sis/a@b/embed").kind, answer::embed);
  EXPECT_EQ(ok("/sis/a@b/events").kind, answer::events);
  EXPECT_EQ(ok("/sis/a%40b.png").user.str(), "a@b");
  EXPECT_EQ(ok("/sis/a@b.png?token=v1.x").token, "v1.x");
  EXPECT_EQ(ok("/sis/a@b.png?viewer=c@d").token, "");  // never a viewer
  EXPECT_EQ(ok("/sis/%D0%B8%D0%B2%D0%B0%D0%BD@b.png").user.node(), "иван");
}

TEST(sis_request, hostile_names_and_bad_options_get_4xx) {
  for (const char* t : {"/sis/../etc/passwd.png",
                        "/sis/..%2F..%2Fetc%2Fpasswd.png",
                        "/sis/a%2Fb@c.png",
                        "/sis/a%5Cb@c.png",
                        "/sis/a%00b@c.png",
                        "/sis/%E2%80%AEalice@b.png",
                        "/sis/alice%E2%81%A6@b.png",
                        "/sis/a%0Ab@c.png",
                        "/sis/a%C2%85b@c.png",
                        "/sis/%FF@b.png",
                        "/sis/a%zz@b.png",
                        "/sis/b.png",
                        "/sis/a@b/c.png",
                        "/sis/.a@b.png",
                        "/sis/a@b.png?size=15",
                        "/sis/a@b.png?size=129",
                        "/sis/a@b.png?size=3x",
                        "/sis/a@b.png?scale=3",
                        "/sis/a@b.png?style=evil",
                        "/sis/a@b.png?theme=%00"})
    EXPECT_EQ(refused(t), 400u) << t;
  EXPECT_EQ(refused("/sis/" + std::string(3100, 'a') + "@b.png"), 400u);
  EXPECT_EQ(refused("/sis/" + std::string(5000, 'a') + "@b.png"), 414u);
  EXPECT_EQ(refused("/sis/a@b.gif"), 404u);
  EXPECT_EQ(refused("/sis/"), 404u);
  EXPECT_EQ(refused("/sis"), 404u);
}

TEST(viewer_token, valid_expired_forged_and_malformed) {
  auto key = token_key::from_bytes(std::string(32, 'k'));
  const auto now = time_point_cast<seconds>(system_clock::now());
  const std::string t = key.issue(J("carol@example.org"), now + hours(1));
  std::string why;
  ASSERT_EQ(key.verify(t, now, why), J("carol@example.org")) << why;

  EXPECT_FALSE(key.verify(t, now + hours(2), why));
  EXPECT_EQ(why, "expired viewer token");
  std::string forged = t;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(key.verify(forged, now, why));
  EXPECT_EQ(why, "viewer token with a bad signature");
  // Another viewer's name under the same signature.
  const std::string other = key.issue(J("dave@example.org"), now + hours(1));
  std::string swapped = t.substr(0, t.rfind('.')) + other.substr(other.rfind('.'));
  EXPECT_FALSE(key.verify(swapped, now, why));
  auto other_key = token_key::from_bytes(std::string(32, 'x'));
  EXPECT_FALSE(other_key.verify(t, now, why));
  for (const char* bad : {"", "v1", "v2.1.61.00", "v1.x.61.00", "v1.1.6.00", "v1.1.61.0g", "v1.1.61.00.00"}) {
    EXPECT_FALSE(key.verify(bad, now, why)) << bad;
    EXPECT_EQ(why, "malformed viewer token") << bad;
  }
}

TEST(viewer_token, the_key_file_is_created_private_and_read_back) {
  const auto dir = std::filesystem::temp_directory_path() / ("ofs-sis-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "key";
  std::string error;
  auto a = token_key::load_or_create(file, error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto b = token_key::load_or_create(file, error);
  ASSERT_TRUE(b) << error;
  const auto expiry = time_point_cast<seconds>(system_clock::now()) + hours(1);
  EXPECT_TRUE(b->verify(a->issue(J("x@y"), expiry), expiry - hours(1), error));
  std::ofstream(file) << "not hex\n";
  EXPECT_FALSE(token_key::load_or_create(file, error));
  EXPECT_NE(error.find("does not hold a viewer token key"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(etag, strong_per_state_text_and_options) {
  render::options o;
  const auto online = etag_of({render::state::online, ""}, o);
  EXPECT_EQ(online, etag_of({render::state::online, ""}, o));
  EXPECT_TRUE(online.starts_with('"') && online.ends_with('"'));
  EXPECT_NE(online, etag_of({render::state::away, ""}, o));
  EXPECT_NE(online, etag_of({render::state::online, "x"}, o));
  o.size = 32;
  EXPECT_NE(online, etag_of({render::state::online, ""}, o));
}

constexpr const char* opt_in = R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="web"><cr:conditions/>
 <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>)";
constexpr const char* opt_out = R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="web">
 <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>)";
constexpr const char* friends = R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="f"><cr:conditions><cr:identity>
 <cr:one id="xmpp:carol@example.org"/><cr:many domain="partner.example"><cr:except id="xmpp:mole@partner.example"/>
 </cr:many></cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="s"><cr:conditions><cr:sphere value="work"/></cr:conditions>
 <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>)";

TEST(policy, anonymous_viewers_see_only_users_who_opted_in) {
  const jid user = J("alice@example.org");
  ofs::storage::roster none;
  EXPECT_EQ(sight_of(facts_of("", "", none, ""), user, std::nullopt, false), sight::hidden);
  EXPECT_EQ(sight_of(facts_of(opt_in, "", none, ""), user, std::nullopt, false), sight::full);
  EXPECT_EQ(sight_of(facts_of("", "", none, ""), user, std::nullopt, true), sight::full);
  EXPECT_EQ(sight_of(facts_of(opt_out, "", none, ""), user, std::nullopt, true), sight::hidden);
  EXPECT_EQ(sight_of(facts_of(friends, "", none, ""), user, std::nullopt, false),
            sight::hidden);  // sphere: skipped
  EXPECT_EQ(sight_of(facts_of("<not xml", "", none, ""), user, std::nullopt, false), sight::hidden);
}

TEST(policy, a_token_viewer_sees_what_rules_subscriptions_and_blocks_allow) {
  const jid user = J("alice@example.org");
  ofs::storage::roster roster;
  ofs::storage::roster_item sub, to;
  sub.contact = J("sub@example.org");
  sub.sub = ofs::storage::subscription::from;
  to.contact = J("to@example.org");
  to.sub = ofs::storage::subscription::to;
  roster.items = {sub, to};
  const auto f = facts_of(friends, "polite@example.org\nblocked.example\n", roster, "");
  auto as = [&](const char* v) { return sight_of(f, user, J(v), false); };
  EXPECT_EQ(as("alice@example.org"), sight::full);
  EXPECT_EQ(as("carol@example.org"), sight::full);
  EXPECT_EQ(as("anyone@partner.example"), sight::full);
  EXPECT_EQ(as("mole@partner.example"), sight::hidden);
  EXPECT_EQ(as("sub@example.org"), sight::full);
  EXPECT_EQ(as("to@example.org"), sight::hidden);  // alice does not send it her presence
  EXPECT_EQ(as("stranger@example.org"), sight::hidden);
  EXPECT_EQ(as("polite@example.org"), sight::as_offline);
  EXPECT_EQ(as("someone@blocked.example"), sight::as_offline);
}

ofs::core::bound_resource resource(const char* show, const char* status, int priority,
                                   bool available = true) {
  ofs::core::element p("presence", "jabber:client");
  if (*show) p.add_child(ofs::core::element("show")).add_text(show);
  if (*status) p.add_child(ofs::core::element("status")).add_text(status);
  ofs::core::bound_resource r;
  r.available = available;
  r.priority = priority;
  if (available) r.presence = ofs::core::stanza::from_element(std::move(p)).value();
  return r;
}

TEST(policy, the_snapshot_is_the_highest_priority_resource_or_offline_with_the_note) {
  std::vector<ofs::core::bound_resource> rs{resource("away", "lunch", 1), resource("dnd", "busy", 5),
                                            resource("", "", 9, false)};
  EXPECT_EQ(snapshot_of(rs, sight::full, "note"), (render::snapshot{render::state::dnd, "busy"}));
  EXPECT_EQ(snapshot_of(rs, sight::as_offline, "note"), (render::snapshot{render::state::offline, ""}));
  EXPECT_EQ(snapshot_of(rs, sight::hidden, "note"), (render::snapshot{render::state::unknown, ""}));
  EXPECT_EQ(snapshot_of({}, sight::full, "on holiday"),
            (render::snapshot{render::state::offline, "on holiday"}));
  EXPECT_EQ(snapshot_of({resource("", "", 0)}, sight::full, "").state, render::state::online);
  EXPECT_EQ(snapshot_of({resource("chat", "", 0)}, sight::full, "").state, render::state::chat);
  EXPECT_EQ(snapshot_of({resource("xa", "", 0)}, sight::full, "").state, render::state::xa);
}

TEST(image_cache, a_state_drawn_once_is_served_without_drawing_and_the_cache_is_bounded) {
  image_cache cache(16 * 1024);
  render::options o;
  auto a = cache.get({render::state::online, ""}, o);
  auto b = cache.get({render::state::online, ""}, o);
  EXPECT_EQ(a, b);  // the same bytes, not drawn again
  EXPECT_EQ(cache.draws(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(a->etag, etag_of({render::state::online, ""}, o));
  o.size = 64;
  o.scale = 2;
  o.style = render::style::badge;
  for (int i = 0; i < 20; ++i) cache.get({render::state::away, std::to_string(i)}, o);
  const auto draws = cache.draws();
  cache.get({render::state::away, "0"}, o);  // long evicted
  EXPECT_EQ(cache.draws(), draws + 1);
}

}  // namespace
