#include "server/im/stanza_ids.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace ofs::im {
namespace {

constexpr std::string_view digits = "0123456789abcdefghjkmnpqrstvwxyz";  // Crockford, sorts as text
constexpr std::size_t seq_digits = 11, tag_digits = 12;

void append_base32(std::string& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i-- > 0;) out += digits[(v >> (5 * i)) & 31];
}

std::int64_t now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

stanza_ids::stanza_ids() : key_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) != 1)
    throw std::runtime_error("OpenSSL failure: RAND_bytes");
}

std::string stanza_ids::make(const core::jid& owner, std::int64_t seq) const {
  const std::string data = fmt::format("{}\n{}", owner.bare_str(), seq);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::uint64_t tag = 0;
  for (int i = 0; i < 8; ++i) tag = tag << 8 | mac[i];
  std::string id;
  append_base32(id, static_cast<std::uint64_t>(seq), seq_digits);
  append_base32(id, tag >> 4, tag_digits);  // 60 bits
  return id;
}

issued_id stanza_ids::issue(const core::jid& owner) {
  std::int64_t now = now_micros(), last = last_.load(std::memory_order_relaxed), seq;
  do {
    seq = std::max(now, last + 1);
  } while (!last_.compare_exchange_weak(last, seq, std::memory_order_relaxed));
  return {seq, make(owner, seq)};
}

bool stanza_ids::ours(const core::jid& owner, std::string_view id) const {
  auto seq = seq_of(id);
  return seq && make(owner, *seq) == id;
}

std::optional<std::int64_t> stanza_ids::seq_of(std::string_view id) {
  if (id.size() != seq_digits + tag_digits) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < id.size(); ++i) {
    auto d = digits.find(id[i]);
    if (d == std::string_view::npos) return std::nullopt;
    if (i < seq_digits) v = v << 5 | d;
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

core::element stanza_id_element(const core::jid& owner, std::string_view id) {
  core::element e("stanza-id", std::string(sid_ns));
  e.set_attr("by", owner.bare_str());
  e.set_attr("id", std::string(id));
  return e;
}

std::string_view stanza_id_by(const core::element& message, std::string_view by) {
  for (const auto& c : message.children())
    if (c.name() == "stanza-id" && c.xmlns() == sid_ns && c.attr("by") == by) return c.attr("id");
  return {};
}

bool strip_stanza_ids(core::element& message, std::string_view by) {
  auto& kids = message.children();
  auto forged = [&](const core::element& c) {
    return c.name() == "stanza-id" && c.xmlns() == sid_ns && c.attr("by") == by;
  };
  auto n = std::erase_if(kids, forged);
  return n > 0;
}

std::string timestamp_of(std::int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto Y = num(0, 4), M = num(5, 2), D = num(8, 2), h = num(11, 2), m = num(14, 2), sec = num(17, 2);
  if (!Y || !M || !D || !h || !m || !sec || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || *M < 1 || *M > 12 || *D < 1 || *D > 31 || *h > 23 || *m > 59 || *sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    int scale = 100000;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
      if (scale > 0) frac += (s[pos] - '0') * scale;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || s[pos + 3] != ':') return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *Y - 1900;
  tm.tm_mon = *M - 1;
  tm.tm_mday = *D;
  tm.tm_hour = *h;
  tm.tm_min = *m;
  tm.tm_sec = *sec;
  const std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset;
  return secs * 1'000'000 + frac;
}

}  // namespace ofs::im
