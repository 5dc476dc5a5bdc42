#include "server/app/reload.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "server/app/certificate.hpp"

namespace {
using ofs::app::parse_config;

ofs::app::config parsed(std::string_view text) {
  auto r = parse_config(text, "ofs.toml");
  EXPECT_TRUE(r.value) << r.error;
  return r.value.value_or(ofs::app::config{});
}

bool contains(const std::vector<std::string>& v, std::string_view prefix) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.starts_with(prefix); });
}

TEST(reload, changed_keys_are_those_set_changed_or_removed) {
  auto before = parsed("[log]\nlevel = \"info\"\n[server]\nthreads = 2\n[limits]\nmax_connections = 10\n");
  auto after = parsed("[log]\nlevel = \"debug\"\n[server]\nthreads = 2\n[tls]\nexpiry_warning_days = 30\n");
  EXPECT_EQ(ofs::app::changed_keys(before, after),
            (std::vector<std::string>{"limits.max_connections", "log.level", "tls.expiry_warning_days"}));
  EXPECT_TRUE(ofs::app::changed_keys(before, before).empty());
}

TEST(reload, log_limits_and_certificates_apply_the_rest_waits_for_a_restart) {
  auto before = parsed("[server]\nthreads = 2\n");
  auto after = parsed(
      "[server]\nthreads = 3\ndomains = [\"a.test\"]\n[log]\nlevel = \"debug\"\n"
      "[limits]\nmax_stanza_bytes = 8192\n[listen]\nc2s = 5322\n[storage]\nurl = \"sqlite:x.db\"\n");
  ofs::app::reload_report report;
  ofs::app::classify_changes(before, after, report);
  EXPECT_EQ(report.applied.size(), 2u);
  EXPECT_TRUE(contains(report.applied, "log.level"));
  EXPECT_TRUE(contains(report.applied, "limits.max_stanza_bytes (new XMPP connections over TCP"));
  EXPECT_EQ(report.restart,
            (std::vector<std::string>{"listen.c2s", "server.domains", "server.threads", "storage.url"}));
}

TEST(reload, only_reloadable_settings_are_taken_and_the_rest_is_reported_again) {
  auto running = parsed("[server]\nthreads = 2\n");
  auto loaded = parsed("[server]\nthreads = 3\n[log]\nformat = \"json\"\n[limits]\nmax_connections = 7\n");
  ofs::app::take_reloadable(running, loaded);
  EXPECT_EQ(running.log_format, "json");
  EXPECT_EQ(running.max_connections, 7u);
  EXPECT_EQ(running.threads, 2u);  // a restart takes it
  // The next reload of the same file: nothing new to apply, threads still waits.
  ofs::app::reload_report again;
  ofs::app::classify_changes(running, loaded, again);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.restart, std::vector<std::string>{"server.threads"});
}

TEST(reload, the_report_says_what_happened_in_json_and_in_one_line) {
  ofs::app::reload_report ok;
  ok.source = "/etc/ofs/ofs.toml";
  ok.applied = {"log.level"};
  ok.restart = {"server.threads"};
  auto j = ok.to_json();
  EXPECT_TRUE(j.at("ok").as_bool());
  EXPECT_EQ(j.at("applied").as_array().size(), 1u);
  EXPECT_EQ(
      ok.summary(),
      "reloaded /etc/ofs/ofs.toml; applied: log.level; needs a restart: server.threads; certificates: none");
  ofs::app::reload_report refused;
  refused.error = "ofs.toml:3: unknown key 'log.levl'";
  EXPECT_FALSE(refused.to_json().at("ok").as_bool());
  EXPECT_NE(refused.summary().find("still running on the previous configuration"), std::string::npos);
}

TEST(reload, expiry_warning_days_is_configurable_and_bounded) {
  EXPECT_EQ(parsed("").tls_expiry_warning_days, 14);
  EXPECT_EQ(parsed("[tls]\nexpiry_warning_days = 30\n").tls_expiry_warning_days, 30);
  EXPECT_FALSE(parse_config("[tls]\nexpiry_warning_days = -1\n", "ofs.toml").value);
}

TEST(reload, expiry_warnings_follow_the_configured_days) {
  auto id = ofs::app::generate_self_signed({"a.test"});  // valid for 825 days
  id.certificate_file = "cert.pem";
  EXPECT_TRUE(ofs::app::expiry_warnings(id, {}, 14).empty());
  std::vector<ofs::app::domain_identity> domains{{"a.test", id}};
  auto warned = ofs::app::expiry_warnings(id, domains, 900);
  ASSERT_EQ(warned.size(), 2u);
  EXPECT_NE(warned[0].find("TLS certificate cert.pem expires on"), std::string::npos) << warned[0];
  EXPECT_NE(warned[1].find("TLS certificate of a.test expires on"), std::string::npos) << warned[1];
}

}  // namespace
