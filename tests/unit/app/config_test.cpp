#include "server/app/config.hpp"

#include <gtest/gtest.h>

using ofs::app::parse_config;

TEST(config, empty_file_gives_the_embedded_defaults) {
  auto r = parse_config("", "ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->domains, std::vector<std::string>{"localhost"});
  EXPECT_EQ(r.value->effective_storage_url(), "sqlite:var/ofs.db");
  EXPECT_EQ(r.value->http.port, 5280);
  EXPECT_EQ(r.value->max_stanza_bytes, 256u * 1024);
}

TEST(config, the_shipped_example_is_valid_and_equals_the_defaults) {
  auto r = ofs::app::load_config(std::string(OFS_SOURCE_DIR) + "/etc/ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  auto d = parse_config("", "x").value.value();
  EXPECT_EQ(r.value->domains, d.domains);
  EXPECT_EQ(r.value->log_level, d.log_level);
  EXPECT_EQ(r.value->http.port, d.http.port);
  EXPECT_EQ(r.value->max_stanza_bytes, d.max_stanza_bytes);
  EXPECT_EQ(r.value->effective_storage_url(), d.effective_storage_url());
  EXPECT_EQ(r.value->refuse_cb_downgrade, d.refuse_cb_downgrade);
  EXPECT_EQ(r.value->kdf_workers, d.kdf_workers);
  EXPECT_EQ(r.value->thread_affinity, d.thread_affinity);
  EXPECT_EQ(r.value->scheduler_slice_us, d.scheduler_slice_us);
  EXPECT_EQ(r.value->kdf_queue, d.kdf_queue);
  EXPECT_EQ(r.value->bosh_max_wait, d.bosh_max_wait);
  EXPECT_EQ(r.value->bosh_max_hold, d.bosh_max_hold);
  EXPECT_EQ(r.value->bosh_max_requests, d.bosh_max_requests);
  EXPECT_EQ(r.value->bosh_max_inactivity, d.bosh_max_inactivity);
  EXPECT_EQ(r.value->bosh_max_pause, d.bosh_max_pause);
  EXPECT_EQ(r.value->bosh_polling, d.bosh_polling);
  EXPECT_EQ(r.value->bosh_max_buffered_bytes, d.bosh_max_buffered_bytes);
  EXPECT_EQ(r.value->bosh_allowed_origins, d.bosh_allowed_origins);
  EXPECT_EQ(r.value->bosh_allow_plain_http_logins, d.bosh_allow_plain_http_logins);
  EXPECT_EQ(r.value->widget_tokens, d.widget_tokens);
  EXPECT_EQ(r.value->widget_token_lifetime, d.widget_token_lifetime);
  EXPECT_EQ(r.value->anonymous_domain, d.anonymous_domain);
  EXPECT_EQ(r.value->anonymous_logins_per_ip_minute, d.anonymous_logins_per_ip_minute);
  EXPECT_EQ(r.value->xcap_enabled, d.xcap_enabled);
  EXPECT_EQ(r.value->xcap_roster_document, d.xcap_roster_document);
  EXPECT_EQ(r.value->xcap_max_document_bytes, d.xcap_max_document_bytes);
  EXPECT_EQ(r.value->xcap_allow_plain_http_logins, d.xcap_allow_plain_http_logins);
  EXPECT_EQ(r.value->sis_enabled, d.sis_enabled);
  EXPECT_EQ(r.value->sis_max_age, d.sis_max_age);
  EXPECT_EQ(r.value->sis_cache_bytes, d.sis_cache_bytes);
  EXPECT_EQ(r.value->sis_public_by_default, d.sis_public_by_default);
  EXPECT_EQ(r.value->sis_token_key_file, d.sis_token_key_file);
  EXPECT_EQ(r.value->sis_token_lifetime, d.sis_token_lifetime);
  EXPECT_EQ(r.value->sis_rules_refresh, d.sis_rules_refresh);
}

TEST(config, widget_and_visitors) {
  auto r = parse_config(R"(
[server]
domains = ["example.org", "visitors.example.org"]
[widget]
tokens = false
token_lifetime = 600
[anonymous]
domain = "visitors.example.org"
logins_per_ip_minute = 0
)",
                        "f");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_FALSE(r.value->widget_tokens);
  EXPECT_EQ(r.value->widget_token_lifetime, std::chrono::seconds(600));
  EXPECT_EQ(r.value->anonymous_domain, "visitors.example.org");
  EXPECT_EQ(r.value->anonymous_logins_per_ip_minute, 0u);
  EXPECT_EQ(parse_config("[anonymous]\ndomain = \"elsewhere.org\"\n", "f").error,
            "f:2: 'anonymous.domain' must be one of [server] domains");
  EXPECT_EQ(parse_config("[widget]\ntoken_lifetime = 10\n", "f").error,
            "f:2: 'widget.token_lifetime' must be between 60 and 2592000");
}

TEST(config, status_images) {
  auto ok = parse_config(
      "[server]\ndata_dir = \"/srv/ofs\"\n[sis]\nmax_age = 30\ncache_bytes = 1048576\n"
      "public_by_default = true\ntoken_key_file = \"keys/sis\"\ntoken_lifetime = 600\nrules_refresh = 0\n",
      "f");
  ASSERT_TRUE(ok.value) << ok.error;
  EXPECT_EQ(ok.value->sis_max_age, std::chrono::seconds(30));
  EXPECT_EQ(ok.value->sis_cache_bytes, 1048576u);
  EXPECT_TRUE(ok.value->sis_public_by_default);
  EXPECT_EQ(ok.value->effective_sis_token_key_file(), "/srv/ofs/keys/sis");
  EXPECT_EQ(ok.value->sis_token_lifetime, std::chrono::seconds(600));
  EXPECT_EQ(ok.value->sis_rules_refresh, std::chrono::seconds(0));
  EXPECT_EQ(parse_config("[sis]\nmax_age = -1\n", "f").error,
            "f:2: 'sis.max_age' must be between 0 and 86400");
  EXPECT_EQ(parse_config("[sis]\ncache_bytes = 10\n", "f").error,
            "f:2: 'sis.cache_bytes' must be between 65536 and 1073741824");
  EXPECT_EQ(parse_config("[sis]\nsize = 3\n", "f").error.find("sis.size") != std::string::npos, true);
}

TEST(config, xcap_roster_document_must_be_a_plain_name) {
  auto ok = parse_config("[xcap]\nroster_document = \"friends\"\n", "ofs.toml");
  ASSERT_TRUE(ok.value) << ok.error;
  EXPECT_EQ(ok.value->xcap_roster_document, "friends");
  auto bad = parse_config("[xcap]\nroster_document = \"../x\"\n", "ofs.toml");
  EXPECT_FALSE(bad.value);
  EXPECT_NE(bad.error.find("xcap.roster_document"), std::string::npos) << bad.error;
}

TEST(config, reads_values) {
  auto r = parse_config(R"(
[server]
domains = ["Example.COM", "chat.example.com"]
data_dir = "/srv/ofs"
[storage]
url = "postgresql://ofs@db/ofs"
[listen]
http = false
[log]
level = "debug"
[c2s]
hibernate_after = 30
refuse_cb_downgrade = true
[limits]
kdf_workers = 3
kdf_queue = 0
)",
                        "ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->domains, (std::vector<std::string>{"example.com", "chat.example.com"}));
  EXPECT_EQ(r.value->effective_storage_url(), "postgresql://ofs@db/ofs");
  EXPECT_FALSE(r.value->http.enabled);
  EXPECT_EQ(r.value->log_level, "debug");
  EXPECT_EQ(r.value->hibernate_after, std::chrono::seconds(30));
  EXPECT_TRUE(r.value->refuse_cb_downgrade);
  EXPECT_EQ(r.value->kdf_workers, 3u);
  EXPECT_EQ(r.value->kdf_queue, 0u);
}

TEST(config, unknown_key_is_named_with_its_line) {
  auto r = parse_config("[log]\nlevel = \"info\"\nlevle = \"debug\"\n", "ofs.toml");
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.error, "ofs.toml:3: unknown key 'log.levle'");
  r = parse_config("[nonsense]\nx = 1\n", "ofs.toml");
  EXPECT_EQ(r.error, "ofs.toml:1: unknown key 'nonsense'");
}

TEST(config, bad_values_are_named_with_their_line) {
  EXPECT_EQ(parse_config("[log]\nlevel = \"loud\"\n", "f").error,
            "f:2: 'log.level' must be one of trace, debug, info, warn, error, critical, off");
  EXPECT_EQ(parse_config("[listen]\nhttp = 70000\n", "f").error,
            "f:2: 'listen.http' must be between 0 and 65535");
  EXPECT_EQ(parse_config("[listen]\nhttp = \"80\"\n", "f").error, "f:2: 'listen.http' must be an integer");
  EXPECT_EQ(parse_config("[limits]\nkdf_workers = -1\n", "f").error,
            "f:2: 'limits.kdf_workers' must be between 0 and 256");
  EXPECT_EQ(parse_config("[c2s]\nrefuse_cb_downgrade = 1\n", "f").error,
            "f:2: 'c2s.refuse_cb_downgrade' must be true or false");
  EXPECT_EQ(parse_config("[listen]\nhttp = true\n", "f").error,
            "f:2: 'listen.http' must be a port number or false");
  EXPECT_EQ(parse_config("[storage]\nurl = \"mysql://x\"\n", "f").error,
            "f: 'storage.url' must start with sqlite:, postgresql:// or postgres://");
  EXPECT_EQ(parse_config("[server]\ndomains = [\"bad domain\"]\n", "f").error,
            "f: 'server.domains': 'bad domain' is not a valid domain");
}

TEST(config, io_thread_keys) {
  auto d = parse_config("", "f").value.value();
  EXPECT_FALSE(d.thread_affinity);  // the shared loop: lower latency on a busy machine
  EXPECT_EQ(d.scheduler_slice_us, 0u);
  auto r = parse_config("[server]\nthread_affinity = true\nscheduler_slice_us = 100\n", "f");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_TRUE(r.value->thread_affinity);
  EXPECT_EQ(r.value->scheduler_slice_us, 100u);
  EXPECT_EQ(parse_config("[server]\nscheduler_slice_us = 50\n", "f").error,
            "f: 'server.scheduler_slice_us' must be 0 (the kernel's default) or 100 to 100000");
  EXPECT_EQ(parse_config("[server]\nscheduler_slice_us = 100001\n", "f").error,
            "f:2: 'server.scheduler_slice_us' must be between 0 and 100000");
  EXPECT_EQ(parse_config("[server]\nthread_affinity = 1\n", "f").error,
            "f:2: 'server.thread_affinity' must be true or false");
}

TEST(config, syntax_error_names_the_line) {
  auto r = parse_config("[log]\nlevel = \n", "ofs.toml");
  EXPECT_FALSE(r.value);
  EXPECT_TRUE(r.error.starts_with("ofs.toml:2: ")) << r.error;
}

TEST(config, websocket_keys) {
  auto d = parse_config("", "f").value.value();
  EXPECT_TRUE(d.websocket_allowed_origins.empty());
  EXPECT_TRUE(d.websocket_see_other_uri.empty());
  EXPECT_FALSE(d.websocket_allow_plain_http_logins);
  auto r = parse_config(R"(
[websocket]
allowed_origins = ["https://chat.example.com"]
see_other_uri = "wss://other.example.com/xmpp-websocket"
allow_plain_http_logins = true
)",
                        "f");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->websocket_allowed_origins, std::vector<std::string>{"https://chat.example.com"});
  EXPECT_EQ(r.value->websocket_see_other_uri, "wss://other.example.com/xmpp-websocket");
  EXPECT_TRUE(r.value->websocket_allow_plain_http_logins);
  EXPECT_EQ(parse_config("[websocket]\nsee_other_uri = \"http://x\"\n", "f").error,
            "f:2: 'websocket.see_other_uri' must be a ws:// or wss:// URL");
  EXPECT_EQ(parse_config("[websocket]\nallowed_origins = \"*\"\n", "f").error,
            "f:2: 'websocket.allowed_origins' must be an array of strings");
}

TEST(config, http_web_root_and_public_url) {
  auto d = parse_config("", "x").value.value();
  EXPECT_TRUE(d.serve_web_root);
  EXPECT_TRUE(d.web_root.empty());
  EXPECT_TRUE(d.public_url.empty());
  EXPECT_EQ(d.web_cache_max_age.count(), 0);
  auto r = parse_config(
      "[http]\nweb_root = \"/srv/web\"\ncache_max_age = 3600\npublic_url = "
      "\"https://chat.example.com/xmpp/\"\n",
      "ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->web_root, "/srv/web");
  EXPECT_EQ(r.value->web_cache_max_age.count(), 3600);
  EXPECT_EQ(r.value->public_url, "https://chat.example.com/xmpp");  // no trailing slash
  auto off = parse_config("[http]\nweb_root = false\n", "ofs.toml");
  ASSERT_TRUE(off.value) << off.error;
  EXPECT_FALSE(off.value->serve_web_root);
}

TEST(config, bad_http_values_are_named) {
  for (auto [text, key] : {std::pair{"[http]\nweb_root = true\n", "http.web_root"},
                           {"[http]\nweb_root = \"\"\n", "http.web_root"},
                           {"[http]\npublic_url = \"ftp://x\"\n", "http.public_url"},
                           {"[http]\npublic_url = \"https://x/?q\"\n", "http.public_url"},
                           {"[http]\ncache_max_age = -1\n", "http.cache_max_age"}}) {
    auto r = parse_config(text, "ofs.toml");
    EXPECT_FALSE(r.value) << text;
    EXPECT_NE(r.error.find(key), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("ofs.toml:2"), std::string::npos) << r.error;
  }
}

TEST(config, bosh_keys) {
  auto d = parse_config("", "f").value.value();
  EXPECT_EQ(d.bosh_max_wait, std::chrono::seconds(60));
  EXPECT_EQ(d.bosh_max_hold, 1u);
  EXPECT_EQ(d.bosh_max_requests, 2u);
  EXPECT_EQ(d.bosh_max_inactivity, std::chrono::seconds(60));
  EXPECT_EQ(d.bosh_max_pause, std::chrono::seconds(120));
  EXPECT_EQ(d.bosh_max_buffered_bytes, 1u << 20);
  EXPECT_FALSE(d.bosh_allowed_origins);  // unset: the WebSocket list applies
  EXPECT_FALSE(d.bosh_allow_plain_http_logins);
  auto r = parse_config(R"(
[bosh]
max_wait = 30
max_hold = 2
max_requests = 3
max_inactivity = 90
max_pause = 300
polling = 5
max_buffered_bytes = 65536
allowed_origins = []
allow_plain_http_logins = true
)",
                        "f");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->bosh_max_wait, std::chrono::seconds(30));
  EXPECT_EQ(r.value->bosh_max_hold, 2u);
  EXPECT_EQ(r.value->bosh_max_requests, 3u);
  EXPECT_EQ(r.value->bosh_max_inactivity, std::chrono::seconds(90));
  EXPECT_EQ(r.value->bosh_max_pause, std::chrono::seconds(300));
  EXPECT_EQ(r.value->bosh_polling, std::chrono::seconds(5));
  EXPECT_EQ(r.value->bosh_max_buffered_bytes, 65536u);
  ASSERT_TRUE(r.value->bosh_allowed_origins);
  EXPECT_TRUE(r.value->bosh_allowed_origins->empty());  // set, and empty: loopback only
  EXPECT_TRUE(r.value->bosh_allow_plain_http_logins);
  EXPECT_EQ(parse_config("[bosh]\nmax_requests = 0\n", "f").error,
            "f:2: 'bosh.max_requests' must be between 1 and 17");
}

TEST(config, muc_defaults_to_conference_of_the_first_domain) {
  auto r = parse_config("[server]\ndomains = [\"example.org\", \"example.net\"]\n", "ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_TRUE(r.value->muc.enabled);
  EXPECT_EQ(r.value->muc.domain, "conference.example.org");
  EXPECT_EQ(r.value->muc.create_rooms, "local");
  auto sub = parse_config("[muc]\nsubdomain = \"rooms\"\n", "ofs.toml");
  ASSERT_TRUE(sub.value) << sub.error;
  EXPECT_EQ(sub.value->muc.domain, "rooms.localhost");
}

TEST(config, muc_rooms_are_declared_with_checked_keys) {
  auto r = parse_config(
      "[muc]\nadmins = [\"boss@localhost\"]\n[[muc.rooms]]\nname = \"lobby\"\ntitle = \"Lobby\"\n"
      "members_only = true\npassword = \"pw\"\nowners = [\"alice@localhost\"]\n",
      "ofs.toml");
  ASSERT_TRUE(r.value) << r.error;
  ASSERT_EQ(r.value->muc.rooms.size(), 1u);
  const auto& room = r.value->muc.rooms[0];
  EXPECT_EQ(room.name, "lobby");
  EXPECT_EQ(room.config.name, "Lobby");
  EXPECT_TRUE(room.config.members_only);
  EXPECT_TRUE(room.config.password_protected);
  EXPECT_EQ(room.owners, std::vector<std::string>{"alice@localhost"});
  EXPECT_EQ(r.value->muc.admins, std::vector<std::string>{"boss@localhost"});

  auto typo = parse_config("[[muc.rooms]]\nname = \"lobby\"\nmembersonly = true\n", "ofs.toml");
  ASSERT_FALSE(typo.value);
  EXPECT_NE(typo.error.find("muc.rooms.membersonly"), std::string::npos) << typo.error;
  auto bad_name = parse_config("[[muc.rooms]]\nname = \"a b@c\"\n", "ofs.toml");
  EXPECT_FALSE(bad_name.value);
  auto served = parse_config("[muc]\ndomain = \"localhost\"\n", "ofs.toml");
  EXPECT_FALSE(served.value);
  auto who = parse_config("[muc]\ncreate_rooms = \"everybody\"\n", "ofs.toml");
  EXPECT_FALSE(who.value);
}
