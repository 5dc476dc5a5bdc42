#include "server/muc/history.hpp"

#include <charconv>
#include <ctime>

#include "server/im/feature_support.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::muc {
namespace {

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// XEP-0082 DateTime, UTC or with an offset; fractions of seconds are ignored.
std::optional<sys_clock::time_point> parse_datetime(std::string_view s) {
  std::tm tm{};
  if (s.size() < 19) return std::nullopt;
  auto y = number<int>(s.substr(0, 4)), mo = number<int>(s.substr(5, 2)), d = number<int>(s.substr(8, 2));
  auto h = number<int>(s.substr(11, 2)), mi = number<int>(s.substr(14, 2)), se = number<int>(s.substr(17, 2));
  if (!y || !mo || !d || !h || !mi || !se || s[4] != '-' || s[7] != '-' || s[10] != 'T') return std::nullopt;
  tm.tm_year = *y - 1900, tm.tm_mon = *mo - 1, tm.tm_mday = *d, tm.tm_hour = *h, tm.tm_min = *mi,
  tm.tm_sec = *se;
  auto rest = s.substr(19);
  if (rest.starts_with('.')) {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    rest = rest.substr(i);
  }
  long offset = 0;
  if (rest == "Z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto oh = number<int>(rest.substr(1, 2)), om = number<int>(rest.substr(4, 2));
    if (!oh || !om) return std::nullopt;
    offset = (*oh * 3600L + *om * 60L) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  return sys_clock::from_time_t(timegm(&tm) - offset);
}

}  // namespace

void history::set_capacity(std::size_t n) {
  capacity_ = n;
  while (entries_.size() > capacity_) entries_.pop_front();
}

void history::add(core::stanza message, sys_clock::time_point at) {
  if (capacity_ == 0) return;
  const std::size_t chars = xml::to_string(message.xml()).size();
  entries_.push_back({std::move(message), at, chars});
  if (entries_.size() > capacity_) entries_.pop_front();
}

std::vector<const history_entry*> history::select(const history_request& r, sys_clock::time_point now) const {
  std::vector<const history_entry*> out;
  std::size_t chars = 0;
  // Newest first, so that every limit keeps the most recent messages.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (r.max_stanzas && out.size() >= *r.max_stanzas) break;
    if (r.seconds && it->at < now - *r.seconds) break;
    if (r.since && it->at <= *r.since) break;
    if (r.max_chars && chars + it->chars > *r.max_chars) break;
    chars += it->chars;
    out.push_back(&*it);
  }
  return {out.rbegin(), out.rend()};
}

history_request parse_history_request(const core::element* x) {
  history_request r;
  const core::element* h = x ? x->child("history", x->xmlns()) : nullptr;
  if (!h) return r;
  if (auto v = number<std::size_t>(h->attr("maxstanzas"))) r.max_stanzas = *v;
  if (auto v = number<std::size_t>(h->attr("maxchars"))) r.max_chars = *v;
  if (auto v = number<long>(h->attr("seconds")); v && *v >= 0) r.seconds = std::chrono::seconds(*v);
  if (auto v = parse_datetime(h->attr("since"))) r.since = *v;
  return r;
}

core::stanza delayed_copy(const history_entry& e, const core::jid& room, const core::jid& to) {
  core::element x = e.message.xml();
  x.set_attr("to", to.str());
  core::element delay("delay", "urn:xmpp:delay");
  delay.set_attr("from", room.str());
  delay.set_attr("stamp", im::utc_timestamp(e.at));
  x.add_child(std::move(delay));
  return im::make_stanza(std::move(x));
}

}  // namespace ofs::muc
