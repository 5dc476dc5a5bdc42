#pragma once
// HTTP dates (RFC 9110 5.6.7): Date, Last-Modified, If-Modified-Since. Independent of the
// process locale.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ofs::http {

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::chrono::system_clock::time_point t);
// The IMF-fixdate form only (what browsers send back); nullopt for anything else.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);
// The Date header for now, formatted at most once a second per thread.
const std::string& http_date_now();

}  // namespace ofs::http
