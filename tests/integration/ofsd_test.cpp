// ofsd as a user runs it: the built binary, a config file, signals, and its ports.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/process.hpp"

using namespace ofs::test;
using namespace std::chrono_literals;

namespace {
std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}
}  // namespace

TEST(ofsd, starts_on_sqlite_and_serves_health_and_metrics) {
  temp_dir dir;
  auto config = dir.write("ofs.toml", loopback_config(dir.path()));
  ofsd_process server(config, dir.path());
  ASSERT_TRUE(server.ready()) << server.errors();
  EXPECT_NE(server.output().find("is running for domain localhost"), std::string::npos);
  EXPECT_NE(server.output().find("ofsctl adduser"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "var" / "ofs.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "var" / "tls" / "cert.pem"));

  auto health = http_get(server.port("http"), "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  auto metrics = http_get(server.port("http"), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ofs_sessions 0"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("ofs_resident_memory_bytes"), std::string::npos);
  auto missing = http_get(server.port("http"), "/no-such-page");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Not found: /no-such-page\n");
  EXPECT_EQ(server.stop(), 0);
}

TEST(ofsd, answers_garbage_with_400_and_keeps_serving) {
  temp_dir dir;
  ofsd_process server(dir.write("ofs.toml", loopback_config(dir.path())), dir.path());
  ASSERT_TRUE(server.ready()) << server.errors();
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), server.port("http")});
  boost::asio::write(s, boost::asio::buffer(std::string("\x01\x02 not http\r\n\r\n")));
  std::string reply;
  boost::system::error_code ec;
  boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);  // until the server closes
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 Bad Request")) << reply;
  EXPECT_EQ(http_get(server.port("http"), "/health").status, 200);
}

TEST(ofsd, stops_cleanly_within_five_seconds_of_sigterm_with_open_connections) {
  temp_dir dir;
  ofsd_process server(dir.write("ofs.toml", loopback_config(dir.path())), dir.path());
  ASSERT_TRUE(server.ready()) << server.errors();
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> idle;
  for (int i = 0; i < 20; ++i) {  // idle keep-alive clients that never send a thing
    idle.emplace_back(io);
    idle.back().connect({boost::asio::ip::make_address("127.0.0.1"), server.port("http")});
  }
  EXPECT_EQ(server.stop(), 0) << server.errors();
  EXPECT_LT(server.stop_time(), 5s);
  EXPECT_NE(server.errors().find("stopped"), std::string::npos);
}

TEST(ofsd, bad_config_gives_one_line_and_exit_code_2) {
  temp_dir dir;
  auto config = dir.write("bad.toml", "[log]\nlevle = \"debug\"\n");
  auto r = run({ofsd_path(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ofsd: " + config.string() + ":2: unknown key 'log.levle'\n");
  auto check = run({ofsd_path(), "--config", config.string(), "--check-config"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_EQ(lines(check.err), 1u);
  auto good = run({ofsd_path(), "--config", dir.write("good.toml", "").string(), "--check-config"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  auto absent = run({ofsd_path(), "--config", (dir.path() / "absent.toml").string()});
  EXPECT_EQ(absent.exit_code, 2);
  EXPECT_EQ(absent.err,
            "ofsd: cannot read configuration file " + (dir.path() / "absent.toml").string() + "\n");
}

TEST(ofsd, unusable_data_directory_gives_one_line_and_exit_code_1) {
  temp_dir dir;
  dir.write("file", "not a directory");
  auto config =
      dir.write("ofs.toml", "[server]\ndata_dir = \"" + (dir.path() / "file" / "var").string() + "\"\n");
  auto r = run({ofsd_path(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(r.err.starts_with("ofsd: cannot create data directory")) << r.err;
}

TEST(ofsd, unreachable_postgres_gives_one_line_and_exit_code_1) {
  temp_dir dir;
  auto config = dir.write(
      "ofs.toml",
      loopback_config(dir.path(),
                      "[storage]\nurl = \"postgresql://ofs@127.0.0.1:1/ofs\"\nconnect_timeout = 2\n"));
  auto r = run({ofsd_path(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1"), std::string::npos) << r.err;
}

TEST(ofsd, port_in_use_gives_one_line_and_exit_code_1) {
  temp_dir dir;
  ofsd_process first(dir.write("a.toml", loopback_config(dir.path())), dir.path());
  ASSERT_TRUE(first.ready());
  auto taken = std::to_string(first.port("http"));
  auto config = dir.write(
      "b.toml", "[server]\ndata_dir = \"" + (dir.path() / "var2").string() +
                    "\"\n[listen]\naddress = \"127.0.0.1\"\nc2s = 0\nc2s_tls = 0\nhttps = 0\nhttp = " + taken + "\n");
  auto r = run({ofsd_path(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ofsd: cannot listen on 127.0.0.1:" + taken + " for http: Address already in use\n");
}
