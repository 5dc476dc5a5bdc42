// State names and the cleaning of status texts: what users type reaches the image only as
// plain text on one line, without controls or bidi overrides that would reorder the label.
#include <glib.h>

#include <array>
#include <memory>

#include "render/status_image.hpp"

namespace ofs::render {
namespace {

struct names {
  state s;
  std::string_view name, label;
};
constexpr std::array<names, 7> table{{
    {state::online, "online", "Online"},
    {state::chat, "chat", "Free to chat"},
    {state::away, "away", "Away"},
    {state::xa, "xa", "Not available"},
    {state::dnd, "dnd", "Do not disturb"},
    {state::offline, "offline", "Offline"},
    {state::unknown, "unknown", "Status unknown"},
}};

// Bidi embeddings, overrides, isolates and marks (the widget drops the same set).
bool bidi_control(gunichar c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string_view name_of(state s) { return table[static_cast<std::size_t>(s)].name; }
std::string_view label_of(state s) { return table[static_cast<std::size_t>(s)].label; }

std::optional<state> state_named(std::string_view name) {
  for (const auto& n : table)
    if (n.name == name) return n.s;
  return std::nullopt;
}

std::string clean_text(std::string_view text) {
  std::unique_ptr<gchar, decltype(&g_free)> valid(
      g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())), g_free);
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  for (const gchar* p = valid.get(); *p && chars < max_text_chars; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    if (g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_CONTROL) {
      space = !out.empty();  // runs of white space and controls become one space
      continue;
    }
    // Other invisible format characters go too, but not the joiners that scripts and emoji need.
    if (bidi_control(c) || (g_unichar_type(c) == G_UNICODE_FORMAT && c != 0x200C && c != 0x200D)) continue;
    if (space) out += ' ', ++chars, space = false;
    char buf[6];
    out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
    ++chars;
  }
  return out;
}

}  // namespace ofs::render
