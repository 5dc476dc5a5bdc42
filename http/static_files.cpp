#include "http/static_files.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "http/http_date.hpp"

namespace ofs::http {
namespace bhttp = boost::beast::http;
using bhttp::field;
using bhttp::status;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

resolved_path refuse(status s, std::string why) { return {s, std::move(why), {}, false}; }

// Says no more than the default 404 of the listener does.
response not_found(const request& req) {
  auto target = req.target();
  return make_response(req, status::not_found,
                       "Not found: " + std::string(target.substr(0, target.find('?'))));
}

// What makes a cached copy still the file: same inode, size and modification time.
struct file_identity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_identity&) const = default;
};

file_identity identity_of(const struct ::stat& st) {
  return {st.st_dev, st.st_ino, st.st_size,
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Reads a whole regular file; false with errno's message on failure.
bool read_file(const std::filesystem::path& file, std::size_t size, std::string& out, std::string& error) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? std::strerror(errno) : "file shrank while being read";
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return true;
}

// RFC 9110 13.1.2: weak comparison; "*" matches any current representation.
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == header.npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

struct static_files::entry {
  file_identity id;
  std::string body;
  std::string etag;
  std::string last_modified;
  std::chrono::sys_seconds modified;
  std::string_view content_type;
};

resolved_path resolve_request_path(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with('/')) return refuse(status::bad_request, "The request target must be a path");
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      decoded.push_back(path[i]);
      continue;
    }
    int hi = i + 2 < path.size() ? hex_value(path[i + 1]) : -1, lo = hi >= 0 ? hex_value(path[i + 2]) : -1;
    if (lo < 0) return refuse(status::bad_request, "Bad percent-encoding in the path");
    if (hi == 0 && lo == 0) return refuse(status::bad_request, "A NUL byte in the path");
    decoded.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  resolved_path out;
  out.trailing_slash = decoded.ends_with('/');
  // Split after decoding: an encoded "/" separates too, so "..%2f" is a ".." segment.
  for (std::size_t start = 0; start <= decoded.size();) {
    auto end = decoded.find('/', start);
    if (end == decoded.npos) end = decoded.size();
    std::string_view segment(decoded.data() + start, end - start);
    start = end + 1;
    if (segment.empty()) continue;
    if (segment == "." || segment == "..")
      return refuse(status::bad_request, "Path segments '.' and '..' are not served");
    if (segment.starts_with('.') && segment != ".well-known")  // .git, .htpasswd: never published
      return refuse(status::not_found, "a hidden file");
    if (segment.find('\\') != segment.npos) return refuse(status::bad_request, "A backslash in the path");
    if (!out.relative.empty()) out.relative.push_back('/');
    out.relative.append(segment);
  }
  return out;
}

std::string_view content_type_for(std::string_view filename) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".xml", "application/xml"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".otf", "font/otf"},
      {".wasm", "application/wasm"},
      {".mp3", "audio/mpeg"},
      {".ogg", "audio/ogg"},
      {".wav", "audio/wav"},
      {".mp4", "video/mp4"},
      {".webm", "video/webm"},
      {".pdf", "application/pdf"},
  };
  auto dot = filename.rfind('.');
  if (dot != filename.npos && filename.find('/', dot) == filename.npos) {
    auto ext = filename.substr(dot);
    for (const auto& [e, type] : types)
      if (boost::beast::iequals(ext, e)) return type;
  }
  return "application/octet-stream";
}

std::unique_ptr<static_files> static_files::open(static_options options, std::string& error) {
  std::error_code ec;
  auto root = std::filesystem::canonical(options.root, ec);
  if (ec) {
    error = "web root " + options.root.string() + ": " + ec.message();
    return nullptr;
  }
  if (!std::filesystem::is_directory(root, ec)) {
    error = "web root " + options.root.string() + " is not a directory";
    return nullptr;
  }
  if (::access(root.c_str(), R_OK | X_OK) != 0) {
    error = "web root " + options.root.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<static_files>(new static_files(std::move(options), std::move(root)));
}

static_files::static_files(static_options options, std::filesystem::path canonical_root)
    : options_(std::move(options)),
      root_(std::move(canonical_root)),
      cache_control_(options_.max_age.count() == 0
                         ? "no-cache"
                         : "public, max-age=" + std::to_string(options_.max_age.count())) {}

static_files::~static_files() = default;

std::shared_ptr<const static_files::entry> static_files::cached(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

void static_files::remember(const std::string& key, std::shared_ptr<const entry> e) const {
  std::lock_guard lock(mutex_);
  auto [it, added] = cache_.try_emplace(key);
  if (!added) cached_bytes_ -= it->second->body.size();
  if (cached_bytes_ + e->body.size() > options_.max_cache_bytes) {  // full: forget the old ones
    cache_.clear();
    cached_bytes_ = 0;
    it = cache_.try_emplace(key).first;
  }
  cached_bytes_ += e->body.size();
  it->second = std::move(e);
}

response static_files::serve(const request& req) const {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    auto res =
        make_response(req, status::method_not_allowed, "Method not allowed: static files take GET and HEAD");
    res.set(field::allow, "GET, HEAD");
    return res;
  }
  auto path = resolve_request_path(req.target());
  if (path.status == status::not_found) return not_found(req);
  if (path.status != status::ok) return make_response(req, path.status, "Bad Request: " + path.error);
  auto file = path.relative.empty() ? root_ : root_ / path.relative;
  struct ::stat st {};
  if (::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!path.trailing_slash) {  // relative links in its index.html need the slash
      std::string_view raw = req.target();
      auto query = raw.find('?');
      auto res = make_response(req, status::moved_permanently, "Moved to the directory's own URL");
      res.set(field::location, std::string(raw.substr(0, query)) + "/" +
                                   std::string(query == raw.npos ? "" : raw.substr(query)));
      return res;
    }
    file /= "index.html";
    path.relative += path.relative.empty() ? "index.html" : "/index.html";
    if (::stat(file.c_str(), &st) != 0) st = {};
  } else if (path.trailing_slash && path.relative.size() > 0) {
    st = {};  // "/file.html/" names no directory
  }
  if (!S_ISREG(st.st_mode)) return not_found(req);

  const auto id = identity_of(st);
  auto e = cached(path.relative);
  if (!e || !(e->id == id)) {
    // Symbolic links may point anywhere: what is served must really be below the root.
    std::error_code ec;
    auto real = std::filesystem::canonical(file, ec);
    auto [root_end, real_it] = std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
    if (ec || root_end != root_.end()) {
      spdlog::warn("http: {} leads out of the web root", std::string(req.target()));
      return not_found(req);
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > options_.max_file_bytes) {
      spdlog::error("http: {} is {} bytes, more than the {} served", file.string(), size,
                    options_.max_file_bytes);
      return make_response(req, status::internal_server_error,
                           "Internal server error: the file is too large");
    }
    auto fresh = std::make_shared<entry>();
    std::string error;
    if (!read_file(file, size, fresh->body, error)) {
      spdlog::error("http: cannot read {}: {}", file.string(), error);
      return make_response(req, status::internal_server_error,
                           "Internal server error: the file cannot be read");
    }
    char etag[64];
    std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(id.mtime_ns),
                  static_cast<unsigned long long>(id.size));
    fresh->id = id;
    fresh->etag = etag;
    fresh->modified = std::chrono::sys_seconds(std::chrono::seconds(st.st_mtim.tv_sec));
    fresh->last_modified = format_http_date(fresh->modified);
    fresh->content_type = content_type_for(path.relative);
    e = fresh;
    if (size <= options_.max_cached_file_bytes) remember(path.relative, fresh);
  }
  return answer(req, *e);
}

response static_files::answer(const request& req, const entry& e) const {
  // RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it.
  bool not_modified = false;
  if (auto inm = req.find(field::if_none_match); inm != req.end()) {
    not_modified = none_match(inm->value(), e.etag);
  } else if (auto ims = req.find(field::if_modified_since); ims != req.end()) {
    auto since = parse_http_date(ims->value());
    not_modified = since && e.modified <= *since;
  }
  response res(not_modified ? status::not_modified : status::ok, req.version());
  res.set(field::etag, e.etag);
  res.set(field::last_modified, e.last_modified);
  res.set(field::cache_control, cache_control_);
  // Public files: the widget's modules and styles are loaded by pages of any origin, and
  // module scripts need CORS for that. No credentials are involved.
  res.set(field::access_control_allow_origin, "*");
  if (!not_modified) {
    res.set(field::content_type, e.content_type);
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = e.body;
  }
  res.keep_alive(req.keep_alive());
  return res;
}

}  // namespace ofs::http
