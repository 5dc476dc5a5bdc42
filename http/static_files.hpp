#pragma once
// The web root: files served at "/" (index.html for a directory) with their Content-Type,
// validators (ETag, Last-Modified, 304) and Cache-Control. Small files are kept in memory
// and checked against the file's identity on each request; the cache is shared by every
// connection, under a mutex held for a lookup only.
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/route_table.hpp"

namespace ofs::http {

struct static_options {
  std::filesystem::path root;
  std::chrono::seconds max_age{0};                  // 0: "no-cache" (revalidate each time)
  std::size_t max_file_bytes = 64 * 1024 * 1024;    // larger files are refused (500)
  std::size_t max_cached_file_bytes = 1024 * 1024;  // larger files are read on each request
  std::size_t max_cache_bytes = 32 * 1024 * 1024;   // the whole cache
};

// A request path as a file below the root: percent-decoded, "." and ".." refused, empty
// segments dropped. status is ok, or the refusal (400, 404) with the reason in `error`.
struct resolved_path {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string error;
  std::string relative;         // "a/b.html", "" for the root itself
  bool trailing_slash = false;  // "/a/": a directory was asked for
};
resolved_path resolve_request_path(std::string_view target);

// "text/html; charset=utf-8" for "index.html"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view filename);

class static_files {
public:
  // An error when the root is not a readable directory.
  static std::unique_ptr<static_files> open(static_options options, std::string& error);
  ~static_files();
  // GET and HEAD; other methods get 405. Blocking reads of local files, as web servers do:
  // the cache keeps them off the hot path.
  response serve(const request& req) const;

private:
  struct entry;
  explicit static_files(static_options options, std::filesystem::path canonical_root);
  std::shared_ptr<const entry> cached(const std::string& key) const;
  void remember(const std::string& key, std::shared_ptr<const entry> e) const;
  response answer(const request& req, const entry& e) const;

  static_options options_;
  std::filesystem::path root_;  // canonical
  std::string cache_control_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const entry>> cache_;
  mutable std::size_t cached_bytes_ = 0;
};

}  // namespace ofs::http
