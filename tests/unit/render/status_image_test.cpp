#include "render/status_image.hpp"

#include <cairo.h>
#include <gtest/gtest.h>
#include <pango/pangocairo.h>

#include <cstring>
#include <memory>

namespace {
using namespace ofs::render;

using surface_ptr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

// Decodes PNG bytes with cairo's own reader (libpng), as a browser would.
surface_ptr decode(const std::string& png) {
  struct reader {
    const std::string& bytes;
    std::size_t at = 0;
  } r{png};
  auto read = [](void* closure, unsigned char* data, unsigned int length) {
    auto* rd = static_cast<reader*>(closure);
    if (rd->at + length > rd->bytes.size()) return CAIRO_STATUS_READ_ERROR;
    std::memcpy(data, rd->bytes.data() + rd->at, length);
    rd->at += length;
    return CAIRO_STATUS_SUCCESS;
  };
  return surface_ptr(cairo_image_surface_create_from_png_stream(read, &r), cairo_surface_destroy);
}

// The pixel's colour as 0xRRGGBB and its alpha (ARGB32 is premultiplied: opaque pixels only).
std::uint32_t pixel(cairo_surface_t* s, point p, unsigned* alpha = nullptr) {
  cairo_surface_flush(s);
  const auto* row = cairo_image_surface_get_data(s) + p.y * cairo_image_surface_get_stride(s);
  const std::uint32_t argb = reinterpret_cast<const std::uint32_t*>(row)[p.x];
  if (alpha) *alpha = argb >> 24;
  return argb & 0xffffff;
}

// Pixels not fully transparent in columns [from, to).
int inked(cairo_surface_t* s, int from, int to) {
  int n = 0;
  for (int y = 0; y < cairo_image_surface_get_height(s); ++y)
    for (int x = from; x < to; ++x) {
      unsigned a = 0;
      pixel(s, {x, y}, &a);
      n += a > 0;
    }
  return n;
}

TEST(status_image, every_state_decodes_at_its_size_with_its_colour_at_the_probe) {
  for (auto st : {state::online, state::chat, state::away, state::xa, state::dnd, state::offline}) {
    for (int size : {16, 24, 64, 128}) {
      for (auto sty : {style::icon, style::badge, style::text}) {
        options o;
        o.size = size;
        o.style = sty;
        auto img = decode(draw({st, "in a meeting"}, o));
        ASSERT_EQ(cairo_surface_status(img.get()), CAIRO_STATUS_SUCCESS);
        const auto dim = dimensions_of(o);
        EXPECT_EQ(cairo_image_surface_get_width(img.get()), dim.width);
        EXPECT_EQ(cairo_image_surface_get_height(img.get()), size);
        unsigned alpha = 0;
        EXPECT_EQ(pixel(img.get(), dot_probe(o), &alpha), colour_of(st)) << name_of(st) << " " << size;
        EXPECT_EQ(alpha, 255u);
      }
    }
  }
}

TEST(status_image, states_have_distinct_colours_and_scale_two_doubles_the_pixels) {
  EXPECT_NE(colour_of(state::online), colour_of(state::away));
  EXPECT_NE(colour_of(state::away), colour_of(state::xa));
  EXPECT_NE(colour_of(state::dnd), colour_of(state::offline));
  EXPECT_NE(colour_of(state::offline), colour_of(state::unknown));
  options o;
  o.size = 32;
  o.scale = 2;
  o.style = style::badge;
  auto img = decode(draw({state::away, ""}, o));
  EXPECT_EQ(cairo_image_surface_get_width(img.get()), 32 * 2 * 8);
  EXPECT_EQ(cairo_image_surface_get_height(img.get()), 64);
  EXPECT_EQ(pixel(img.get(), dot_probe(o)), colour_of(state::away));
}

TEST(status_image, out_of_range_options_are_clamped) {
  options o;
  o.size = 5000;
  o.scale = 7;
  const auto dim = dimensions_of(o);
  EXPECT_EQ(dim.width, max_size * 2);
  auto img = decode(draw({state::online, ""}, o));
  EXPECT_EQ(cairo_image_surface_get_width(img.get()), max_size * 2);
}

TEST(status_image, a_long_text_is_cut_inside_the_badge) {
  options o;
  o.size = 32;
  o.style = style::badge;
  auto img = decode(draw({state::dnd, std::string(300, 'W')}, o));
  const int w = cairo_image_surface_get_width(img.get());
  // Text stops before the badge's right margin (the rounded edge), so the ellipsis fits.
  unsigned alpha = 0;
  const std::uint32_t edge = pixel(img.get(), {w - 6, 16}, &alpha);
  EXPECT_EQ(edge, 0xf5f6f7u) << std::hex << edge;  // the light theme's background, no glyph
  EXPECT_GT(inked(img.get(), w / 2, w - 12), 0);
}

TEST(status_image, the_theme_changes_the_badge_background) {
  options o;
  o.size = 32;
  o.style = style::badge;
  auto light = decode(draw({state::online, ""}, o));
  o.theme = theme::dark;
  auto dark = decode(draw({state::online, ""}, o));
  const point p{8 * 32 - 6, 16};
  EXPECT_EQ(pixel(light.get(), p), 0xf5f6f7u);
  EXPECT_EQ(pixel(dark.get(), p), 0x24272bu);
}

// Every script a status text may be in has a font (fonts-dejavu-core, fonts-noto-core,
// fonts-wqy-microhei): pango finds no glyph missing.
TEST(status_image, latin_greek_cyrillic_arabic_and_cjk_have_glyphs) {
  auto* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
  auto* cr = cairo_create(surface);
  for (const char* text :
       {"Déjà vu", "Καλημέρα", "Привет", "مرحبا بالعالم", "你好，世界", "こんにちは", "안녕하세요"}) {
    PangoLayout* layout = pango_cairo_create_layout(cr);
    PangoFontDescription* font = pango_font_description_from_string("Sans 12");
    pango_layout_set_font_description(layout, font);
    pango_layout_set_text(layout, text, -1);
    EXPECT_EQ(pango_layout_get_unknown_glyphs_count(layout), 0) << text;
    pango_font_description_free(font);
    g_object_unref(layout);
  }
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  options o;
  o.size = 32;
  o.style = style::badge;
  auto img = decode(draw({state::online, "你好 مرحبا"}, o));
  EXPECT_GT(inked(img.get(), 32 * 5, 32 * 7), 0);  // the text reaches there
}

TEST(status_image, svg_is_a_document_of_the_right_size) {
  options o;
  o.size = 24;
  o.style = style::badge;
  o.format = format::svg;
  const std::string svg = draw({state::away, "Ελληνικά"}, o);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("width=\"192px\""), std::string::npos) << svg.substr(0, 300);
  EXPECT_NE(svg.find("height=\"24px\""), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg, draw({state::away, "Ελληνικά"}, o));  // deterministic: cacheable, comparable
}

TEST(status_image, text_is_cleaned_of_controls_and_bidi_overrides) {
  EXPECT_EQ(clean_text("a\u202Eb\u2066c\nd\t\te"), "abc d e");
  EXPECT_EQ(clean_text("  lead and trail  "), "lead and trail");
  EXPECT_EQ(clean_text(std::string("bad\xff utf8")), "bad\uFFFD utf8");
  EXPECT_EQ(clean_text(std::string(500, 'x')).size(), max_text_chars);
  EXPECT_EQ(clean_text("\u0645\u200C\u06CC"), "\u0645\u200C\u06CC");  // ZWNJ kept: Persian needs it
}

TEST(status_image, state_names_round_trip) {
  for (auto st :
       {state::online, state::chat, state::away, state::xa, state::dnd, state::offline, state::unknown})
    EXPECT_EQ(state_named(name_of(st)), st);
  EXPECT_FALSE(state_named("invisible"));
}

}  // namespace
