#pragma once
// Rendered images by (state, text, options), bounded in bytes, least recently used out
// first: a state already drawn is served without drawing. Shared by every connection; the
// mutex is held for a lookup or an insert, never while drawing.
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "render/status_image.hpp"

namespace ofs::http::status {

struct image {
  std::string bytes;
  std::string etag;  // quoted, strong: a digest of what was drawn and how
};
using image_ptr = std::shared_ptr<const image>;

// The strong validator of a (snapshot, options) pair: SHA-256 over both, so equal inputs
// (whichever user they belong to) give equal tags and any change gives another.
std::string etag_of(const render::snapshot& s, const render::options& o);

class image_cache {
public:
  explicit image_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  // From the cache, or drawn (outside the lock) and kept. Never null; empty bytes: cairo failed.
  image_ptr get(const render::snapshot& s, const render::options& o);
  // From the cache only; nullptr when it would have to be drawn.
  image_ptr find(const render::snapshot& s, const render::options& o);
  std::uint64_t hits() const { return hits_; }
  std::uint64_t draws() const { return draws_; }

private:
  struct slot {
    image_ptr img;
    std::list<std::string>::iterator age;
  };
  std::size_t max_bytes_;
  std::mutex mutex_;
  std::unordered_map<std::string, slot> slots_;
  std::list<std::string> ages_;  // front: most recently used
  std::size_t bytes_ = 0;
  std::atomic<std::uint64_t> hits_{0}, draws_{0};
};

}  // namespace ofs::http::status
