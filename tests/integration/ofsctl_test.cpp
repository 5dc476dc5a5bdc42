// ofsctl as an administrator uses it, against the same store as a running ofsd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "tests/support/process.hpp"

using namespace ofs::test;

TEST(ofsctl, manages_accounts_while_ofsd_runs) {
  temp_dir dir;
  auto config =
      dir.write("ofs.toml", "[server]\ndomains = [\"localhost\", \"example.com\"]\ndata_dir = \"" +
                                (dir.path() / "var").string() +
                                "\"\n[listen]\naddress = \"127.0.0.1\"\nhttp = 0\nc2s = 0\nc2s_tls = 0\nhttps = 0\n");
  ofsd_process server(config, dir.path());
  ASSERT_TRUE(server.ready()) << server.errors();
  auto ctl = [&](std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {ofsctl_path(), "--config", config.string()});
    return run(args, std::chrono::seconds(30), input);
  };

  auto add = ctl({"adduser", "Alice@localhost", "secret"});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.out, "created user alice@localhost\n");
  EXPECT_EQ(ctl({"adduser", "bob@example.com", "-"}, "from stdin\n").exit_code, 0);

  auto dup = ctl({"adduser", "alice@localhost", "other"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_EQ(dup.err, "ofsctl: user alice@localhost already exists\n");

  auto foreign = ctl({"adduser", "carol@elsewhere.org", "x"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_EQ(foreign.err, "ofsctl: domain elsewhere.org is not served by this server (server.domains)\n");
  EXPECT_EQ(ctl({"adduser", "not a jid", "x"}).exit_code, 2);

  EXPECT_EQ(ctl({"list-users"}).out, "bob@example.com\nalice@localhost\n");  // by domain, then user
  EXPECT_EQ(ctl({"list-users", "example.com"}).out, "bob@example.com\n");

  EXPECT_EQ(ctl({"passwd", "alice@localhost", "new secret"}).exit_code, 0);
  auto nobody = ctl({"passwd", "nobody@localhost", "x"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(nobody.err, "ofsctl: no such user nobody@localhost\n");

  EXPECT_EQ(ctl({"deluser", "bob@example.com"}).exit_code, 0);
  EXPECT_EQ(ctl({"deluser", "bob@example.com"}).exit_code, 1);
  EXPECT_EQ(ctl({"list-users"}).out, "alice@localhost\n");

  auto check = ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("storage: reachable, 1 account(s)"), std::string::npos) << check.out;
  EXPECT_EQ(server.stop(), 0);
}

TEST(ofsctl, no_password_is_ever_stored_in_clear) {
  temp_dir dir;
  auto config = dir.write("ofs.toml", loopback_config(dir.path()));
  auto add =
      run({ofsctl_path(), "--config", config.string(), "adduser", "alice@localhost", "pencil-sharp-7"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::ifstream db(dir.path() / "var" / "ofs.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), {});
  EXPECT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("pencil-sharp-7"), std::string::npos);
}

TEST(ofsctl, bad_usage_and_unreachable_store_are_clear) {
  temp_dir dir;
  auto none = run({ofsctl_path()});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("subcommand"), std::string::npos) << none.err;
  auto config =
      dir.write("pg.toml", "[storage]\nurl = \"postgresql://ofs@127.0.0.1:1/ofs\"\nconnect_timeout = 1\n");
  auto r = run({ofsctl_path(), "--config", config.string(), "check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ofsctl: ")) << r.err;
}

TEST(ofsctl, works_on_postgresql_when_available) {
  const char* url = std::getenv("OFS_TEST_PG");
  if (!url) GTEST_SKIP() << "OFS_TEST_PG not set";
  temp_dir dir;
  auto config =
      dir.write("ofs.toml", loopback_config(dir.path(), std::string("[storage]\nurl = \"") + url + "\"\n"));
  ofsd_process server(config, dir.path());
  ASSERT_TRUE(server.ready()) << server.errors();
  auto jid = "pg" + std::to_string(::getpid()) + "@localhost";
  auto add = run({ofsctl_path(), "--config", config.string(), "adduser", jid, "secret"});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  auto list = run({ofsctl_path(), "--config", config.string(), "list-users", "localhost"});
  EXPECT_NE(list.out.find(jid + "\n"), std::string::npos);
  EXPECT_EQ(run({ofsctl_path(), "--config", config.string(), "deluser", jid}).exit_code, 0);
  EXPECT_EQ(server.stop(), 0);
}
