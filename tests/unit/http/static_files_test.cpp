#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/beast/http/field.hpp>
#include <filesystem>
#include <fstream>

#include "http/http_date.hpp"

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using namespace ofs::http;

TEST(resolve_request_path, decodes_and_drops_empty_segments) {
  auto p = resolve_request_path("/a%20b//c.html?x=1");
  EXPECT_EQ(p.status, bhttp::status::ok);
  EXPECT_EQ(p.relative, "a b/c.html");
  EXPECT_FALSE(p.trailing_slash);
  EXPECT_TRUE(resolve_request_path("/dir/").trailing_slash);
  EXPECT_EQ(resolve_request_path("/").relative, "");
}

TEST(resolve_request_path, refuses_traversal_however_spelled) {
  for (auto target : {"/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2e%2fetc%2fpasswd",
                      "/a/..%2f..%2fetc", "/./index.html", "/..", "/a/%2e"}) {
    auto p = resolve_request_path(target);
    EXPECT_EQ(p.status, bhttp::status::bad_request) << target;
    EXPECT_FALSE(p.error.empty()) << target;
  }
}

TEST(resolve_request_path, refuses_bad_encodings_nul_and_non_paths) {
  for (auto target : {"/a%zz", "/a%2", "/a%00b", "http://localhost/etc/passwd", "*", "/a\\..\\b"})
    EXPECT_EQ(resolve_request_path(target).status, bhttp::status::bad_request) << target;
}

TEST(resolve_request_path, hides_dot_files_but_not_well_known) {
  EXPECT_EQ(resolve_request_path("/.git/config").status, bhttp::status::not_found);
  EXPECT_EQ(resolve_request_path("/%2egit/config").status, bhttp::status::not_found);
  EXPECT_EQ(resolve_request_path("/.well-known/x").relative, ".well-known/x");
}

TEST(content_type_for, knows_the_web_types) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a/app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("a.b/README"), "application/octet-stream");
}

TEST(http_date, formats_and_parses_imf_fixdate) {
  auto t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count(), 784111777);
  EXPECT_EQ(format_http_date(*t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date(""));
}

class static_files_test : public ::testing::Test {
protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("ofs-static-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "docs");
    write(base_ / "root" / "index.html", "<h1>home</h1>");
    write(base_ / "root" / "docs" / "index.html", "docs");
    write(base_ / "root" / "app.js", "let x = 1;");
    write(base_ / "secret.txt", "secret");
    fs::create_symlink(base_ / "secret.txt", base_ / "root" / "leak.txt");
    fs::create_symlink(base_, base_ / "root" / "up");
    fs::create_symlink("app.js", base_ / "root" / "alias.js");  // inside: served
    std::string error;
    files_ = static_files::open({base_ / "root"}, error);
    ASSERT_TRUE(files_) << error;
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }
  response get(std::string target, bhttp::verb method = bhttp::verb::get,
               std::vector<std::pair<bhttp::field, std::string>> headers = {}) {
    request req(method, target, 11);
    req.set(bhttp::field::host, "localhost");
    for (auto& [f, v] : headers) req.set(f, v);
    return files_->serve(req);
  }
  fs::path base_;
  std::unique_ptr<static_files> files_;
};

TEST_F(static_files_test, serves_a_file_with_type_and_validators) {
  auto res = get("/app.js");
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res.body(), "let x = 1;");
  EXPECT_EQ(res[bhttp::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
  EXPECT_TRUE(res[bhttp::field::etag].starts_with("\""));
  EXPECT_TRUE(parse_http_date(res[bhttp::field::last_modified]));
}

TEST_F(static_files_test, a_directory_gives_its_index_and_is_redirected_to_its_slash) {
  EXPECT_EQ(get("/").body(), "<h1>home</h1>");
  EXPECT_EQ(get("/docs/").body(), "docs");
  auto res = get("/docs?x=1");
  EXPECT_EQ(res.result(), bhttp::status::moved_permanently);
  EXPECT_EQ(res[bhttp::field::location], "/docs/?x=1");
}

TEST_F(static_files_test, revalidation_gives_304_until_the_file_changes) {
  auto first = get("/app.js");
  std::string etag(first[bhttp::field::etag]), modified(first[bhttp::field::last_modified]);
  auto again = get("/app.js", bhttp::verb::get, {{bhttp::field::if_none_match, "W/\"x\", " + etag}});
  EXPECT_EQ(again.result(), bhttp::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(again[bhttp::field::etag], etag);
  EXPECT_EQ(get("/app.js", bhttp::verb::get, {{bhttp::field::if_modified_since, modified}}).result(),
            bhttp::status::not_modified);
  EXPECT_EQ(get("/app.js", bhttp::verb::get, {{bhttp::field::if_none_match, "\"other\""}}).result(),
            bhttp::status::ok);

  write(base_ / "root" / "app.js", "let x = 22;");  // another size: another identity
  auto changed = get("/app.js", bhttp::verb::get, {{bhttp::field::if_none_match, etag}});
  EXPECT_EQ(changed.result(), bhttp::status::ok);
  EXPECT_EQ(changed.body(), "let x = 22;");
  EXPECT_NE(changed[bhttp::field::etag], etag);
}

TEST_F(static_files_test, symlinks_out_of_the_root_are_not_followed) {
  EXPECT_EQ(get("/leak.txt").result(), bhttp::status::not_found);
  EXPECT_EQ(get("/up/secret.txt").result(), bhttp::status::not_found);
  EXPECT_EQ(get("/alias.js").body(), "let x = 1;");
}

TEST_F(static_files_test, missing_files_methods_and_traversal_get_errors_with_a_body) {
  auto missing = get("/nothing.html");
  EXPECT_EQ(missing.result(), bhttp::status::not_found);
  EXPECT_FALSE(missing.body().empty());
  EXPECT_EQ(get("/app.js/").result(), bhttp::status::not_found);
  auto post = get("/app.js", bhttp::verb::post);
  EXPECT_EQ(post.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(post[bhttp::field::allow], "GET, HEAD");
  auto up = get("/%2e%2e/secret.txt");
  EXPECT_EQ(up.result(), bhttp::status::bad_request);
  EXPECT_NE(up.body().find(".."), std::string::npos);
}

TEST_F(static_files_test, a_missing_root_is_an_error) {
  std::string error;
  EXPECT_FALSE(static_files::open({base_ / "nowhere"}, error));
  EXPECT_NE(error.find("nowhere"), std::string::npos);
}
