#include "http/http_date.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace ofs::http {
namespace {

constexpr std::array<std::string_view, 7> weekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool number(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
  return ec == std::errc() && end == text.data() + pos + len;
}

}  // namespace

std::string format_http_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss hms(secs - day);
  const weekday wd(day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", weekdays[wd.c_encoding()].data(),
                static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1].data(),
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT")
    return std::nullopt;
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  if (!number(text, 5, 2, d) || !number(text, 12, 4, y) || !number(text, 17, 2, hh) ||
      !number(text, 20, 2, mm) || !number(text, 23, 2, ss))
    return std::nullopt;
  unsigned m = 0;
  while (m < 12 && months[m] != text.substr(8, 3)) ++m;
  if (m == 12 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  const year_month_day ymd{year(y), month(m + 1), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd) + hours(hh) + minutes(mm) + seconds(ss);
}

const std::string& http_date_now() {
  thread_local std::chrono::sys_seconds formatted_at{};
  thread_local std::string text;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (now != formatted_at) {
    text = format_http_date(now);
    formatted_at = now;
  }
  return text;
}

}  // namespace ofs::http
