#include "http/status/image_cache.hpp"

#include <openssl/evp.h>

namespace ofs::http::status {
namespace {

// Everything the bytes depend on, unambiguously (the text last, after its length).
std::string key_of(const render::snapshot& s, const render::options& o) {
  return std::to_string(static_cast<int>(s.state)) + "/" + std::to_string(o.size) + "/" +
         std::to_string(o.scale) + "/" + std::to_string(static_cast<int>(o.style)) + "/" +
         std::to_string(static_cast<int>(o.theme)) + "/" + std::to_string(static_cast<int>(o.format)) + "/" +
         std::to_string(s.text.size()) + ":" + s.text;
}

}  // namespace

std::string etag_of(const render::snapshot& s, const render::options& o) {
  const std::string key = "sis-v1/" + key_of(s, o);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(key.data(), key.size(), digest, &n, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned i = 0; i < 16; ++i) out += hex[digest[i] >> 4], out += hex[digest[i] & 15];
  return out + "\"";
}

image_ptr image_cache::find(const render::snapshot& s, const render::options& o) {
  const std::string key = key_of(s, o);
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return nullptr;
  ages_.splice(ages_.begin(), ages_, it->second.age);
  ++hits_;
  return it->second.img;
}

image_ptr image_cache::get(const render::snapshot& s, const render::options& o) {
  const std::string key = key_of(s, o);
  {
    std::lock_guard lock(mutex_);
    if (auto it = slots_.find(key); it != slots_.end()) {
      ages_.splice(ages_.begin(), ages_, it->second.age);
      ++hits_;
      return it->second.img;
    }
  }
  auto img = std::make_shared<image>(image{render::draw(s, o), etag_of(s, o)});
  std::lock_guard lock(mutex_);
  ++draws_;
  const std::size_t size = img->bytes.size() + key.size();
  if (img->bytes.empty() || size > max_bytes_ || slots_.contains(key)) return img;
  while (bytes_ + size > max_bytes_ && !ages_.empty()) {
    auto victim = slots_.find(ages_.back());
    bytes_ -= victim->second.img->bytes.size() + victim->first.size();
    slots_.erase(victim);
    ages_.pop_back();
  }
  ages_.push_front(key);
  slots_.emplace(key, slot{img, ages_.begin()});
  bytes_ += size;
  return img;
}

}  // namespace ofs::http::status
