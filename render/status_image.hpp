#pragma once
// Status images: a presence snapshot and drawing options in, PNG or SVG bytes out, drawn with
// cairo and pango (anti-aliased, text shaped with font fallback for any script). Pure: no
// sockets, no clocks; safe on any thread (pango's default font map is per thread).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ofs::render {

// What a viewer sees: the XMPP show values, offline, and "unknown" for viewers who may not see.
enum class state { online, chat, away, xa, dnd, offline, unknown };
enum class style { icon, badge, text };  // a dot; a dot with the status text; the text alone
enum class theme { light, dark };
enum class format { png, svg };

struct options {
  int size = 16;  // the image's height in CSS pixels, 16 to 128
  int scale = 1;  // 2: twice the pixels, for high-density screens
  enum style style = style::icon;
  enum theme theme = theme::light;
  enum format format = format::png;
  friend bool operator==(const options&, const options&) = default;
};
inline constexpr int min_size = 16, max_size = 128;

struct snapshot {
  enum state state = state::unknown;
  std::string text;  // the status message (badge and text styles); any UTF-8
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

struct dimensions {
  int width = 0, height = 0;  // in device pixels (scale applied)
};
dimensions dimensions_of(const options& o);

// The image's bytes, the same for the same arguments; empty if cairo failed. Options out of
// range are clamped; invalid UTF-8 is repaired.
std::string draw(const snapshot& s, const options& o);

// The state's colour as 0xRRGGBB: the fill of the dot, which always covers the pixel
// dot_probe() names.
std::uint32_t colour_of(state s);
struct point {
  int x = 0, y = 0;
};
point dot_probe(const options& o);

std::string_view name_of(state s);   // "online", "chat", "away", "xa", "dnd", ...
std::string_view label_of(state s);  // "Online", "Free to chat", "Away", ...
std::optional<state> state_named(std::string_view name);
// The text the badge and text styles show: controls and bidi overrides removed, at most
// max_text_chars characters, invalid UTF-8 repaired.
std::string clean_text(std::string_view text);
inline constexpr std::size_t max_text_chars = 200;

}  // namespace ofs::render
