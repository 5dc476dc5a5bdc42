// Drawing: one cairo surface per image (image for PNG, SVG stream for SVG), the same calls for
// both. The dot is centred on the pixel grid; text is laid out by pango on one line, cut with
// an ellipsis at the image's edge.
#include "render/status_image.hpp"

#include <cairo-svg.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>

namespace ofs::render {
namespace {

struct rgb {
  double r, g, b;
};
rgb split(std::uint32_t c) {
  return {((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0};
}
void set_colour(cairo_t* cr, std::uint32_t c) {
  const rgb v = split(c);
  cairo_set_source_rgb(cr, v.r, v.g, v.b);
}

struct palette {
  std::uint32_t background, border, text;
};
palette palette_of(theme t) {
  return t == theme::dark ? palette{0x24272b, 0x3a3f45, 0xeef0f2} : palette{0xf5f6f7, 0xd5d8dc, 0x1d2125};
}

options clamped(options o) {
  o.size = std::clamp(o.size, min_size, max_size);
  o.scale = std::clamp(o.scale, 1, 2);
  return o;
}

// The dot: centre and radius in device pixels, for the icon (the whole image) or at the
// left of the badge and text styles.
struct dot {
  double cx, cy, r;
};
dot dot_of(const options& o) {
  const double px = o.size * o.scale;
  return {px / 2, px / 2, px * (o.style == style::icon ? 0.42 : 0.3)};
}

void draw_dot(cairo_t* cr, const dot& d, state s) {
  cairo_arc(cr, d.cx, d.cy, d.r, 0, 2 * G_PI);
  set_colour(cr, colour_of(s));
  cairo_fill(cr);
  // A white mark in the lower part for the states colour alone would not tell apart; the
  // upper part stays the state's colour (dot_probe).
  cairo_set_source_rgb(cr, 1, 1, 1);
  switch (s) {
    case state::dnd:
      cairo_rectangle(cr, d.cx - d.r * 0.6, d.cy - d.r * 0.16, d.r * 1.2, d.r * 0.32);
      cairo_fill(cr);
      break;
    case state::chat:
      cairo_arc(cr, d.cx, d.cy + d.r * 0.1, d.r * 0.3, 0, 2 * G_PI);
      cairo_fill(cr);
      break;
    case state::xa:
    case state::offline:
      cairo_set_line_width(cr, std::max(1.0, d.r * 0.18));
      cairo_arc(cr, d.cx, d.cy + d.r * 0.1, d.r * 0.38, 0, 2 * G_PI);
      cairo_stroke(cr);
      break;
    default: break;
  }
}

void rounded_rect(cairo_t* cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path(cr);
}

// One line of text from x to the right edge (less a margin), vertically centred, ellipsized.
void draw_text(cairo_t* cr, const options& o, double x, std::string_view label, std::string_view message,
               std::uint32_t colour) {
  const dimensions dim = dimensions_of(o);
  const double px = o.size * o.scale;
  const double width = dim.width - x - px * 0.35;
  if (width <= 0) return;
  std::unique_ptr<PangoLayout, decltype(&g_object_unref)> layout(pango_cairo_create_layout(cr),
                                                                 g_object_unref);
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(pango_layout_get_context(layout.get()), fo);
  cairo_font_options_destroy(fo);
  pango_layout_context_changed(layout.get());

  std::unique_ptr<PangoFontDescription, decltype(&pango_font_description_free)> font(
      pango_font_description_from_string("Sans"), pango_font_description_free);
  pango_font_description_set_absolute_size(font.get(), px * 0.55 * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_single_paragraph_mode(layout.get(), TRUE);
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);

  std::string text(label);
  if (!label.empty() && !message.empty()) text += " \u00b7 ";  // a middle dot between them
  text += message;
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));  // never markup
  if (!label.empty()) {
    PangoAttrList* attrs = pango_attr_list_new();
    PangoAttribute* bold = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
    bold->start_index = 0;
    bold->end_index = static_cast<guint>(label.size());
    pango_attr_list_insert(attrs, bold);
    pango_layout_set_attributes(layout.get(), attrs);
    pango_attr_list_unref(attrs);
  }
  PangoRectangle logical;
  pango_layout_get_pixel_extents(layout.get(), nullptr, &logical);
  set_colour(cr, colour);
  cairo_move_to(cr, x, (dim.height - logical.height) / 2.0);
  pango_cairo_show_layout(cr, layout.get());
}

void draw_all(cairo_t* cr, const snapshot& s, const options& o) {
  const dimensions dim = dimensions_of(o);
  const double px = o.size * o.scale;
  const dot d = dot_of(o);
  const palette p = palette_of(o.theme);
  const std::string message = clean_text(s.text);
  if (o.style == style::badge) {
    const double line = std::max(1.0, double(o.scale));
    rounded_rect(cr, line / 2, line / 2, dim.width - line, dim.height - line, (dim.height - line) / 2);
    set_colour(cr, p.background);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, line);
    set_colour(cr, p.border);
    cairo_stroke(cr);
  }
  draw_dot(cr, d, s.state);
  if (o.style == style::badge)
    draw_text(cr, o, px * 0.95, label_of(s.state), message, p.text);
  else if (o.style == style::text)
    draw_text(cr, o, px * 0.95, message.empty() ? label_of(s.state) : "", message, p.text);
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

dimensions dimensions_of(const options& raw) {
  const options o = clamped(raw);
  const int px = o.size * o.scale;
  switch (o.style) {
    case style::badge: return {px * 8, px};
    case style::text: return {px * 7, px};
    default: return {px, px};
  }
}

std::uint32_t colour_of(state s) {
  switch (s) {
    case state::online: return 0x2e9e44;
    case state::chat: return 0x13866f;
    case state::away: return 0xe0a100;
    case state::xa: return 0xd9661f;
    case state::dnd: return 0xd2302b;
    case state::offline: return 0x8a8f98;
    default: return 0xb8bcc4;
  }
}

point dot_probe(const options& raw) {
  const dot d = dot_of(clamped(raw));
  return {static_cast<int>(d.cx), static_cast<int>(d.cy - d.r * 0.6)};
}

std::string draw(const snapshot& s, const options& raw) {
  const options o = clamped(raw);
  const dimensions dim = dimensions_of(o);
  std::string out;
  cairo_surface_t* surface = o.format == format::svg
                                 ? cairo_svg_surface_create_for_stream(append, &out, dim.width, dim.height)
                                 : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, dim.width, dim.height);
  if (o.format == format::svg) cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX);
  cairo_t* cr = cairo_create(surface);
  draw_all(cr, s, o);
  cairo_destroy(cr);
  if (o.format == format::png) cairo_surface_write_to_png_stream(surface, append, &out);
  cairo_surface_finish(surface);  // the SVG stream is complete only now
  const bool failed = cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy(surface);
  if (failed) return {};
  // cairo numbers SVG surfaces per process ("surface413"): one name keeps the bytes (and
  // so the ETag) the same for the same image.
  constexpr std::string_view surface_id = "<g id=\"surface";
  if (auto at = out.find(surface_id); at != std::string::npos) {
    const auto digits = at + surface_id.size(), end = out.find('"', digits);
    if (end != std::string::npos) out.replace(digits, end - digits, "1");
  }
  return out;
}

}  // namespace ofs::render
