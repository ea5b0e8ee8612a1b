#include "lsfa_draw.h"

#include <algorithm>
#include <cmath>

namespace lsfa_gst {
namespace {

struct Stop {
  float t;
  Rgb8 c;
};

// Control points, linearly interpolated. Jet and gray are exact (piecewise linear by definition);
// inferno and turbo are approximations of the published maps by 11-12 points.
const Stop kJet[] = {{0.0f, {0, 0, 128}},     {0.125f, {0, 0, 255}}, {0.375f, {0, 255, 255}},
                     {0.625f, {255, 255, 0}}, {0.875f, {255, 0, 0}}, {1.0f, {128, 0, 0}}};
const Stop kInferno[] = {{0.0f, {0, 0, 4}},      {0.1f, {22, 11, 57}},   {0.2f, {66, 10, 104}},
                         {0.3f, {106, 23, 110}}, {0.4f, {147, 38, 103}}, {0.5f, {188, 55, 84}},
                         {0.6f, {221, 81, 58}},  {0.7f, {243, 120, 25}}, {0.8f, {252, 165, 10}},
                         {0.9f, {246, 215, 70}}, {1.0f, {252, 255, 164}}};
const Stop kTurbo[] = {{0.0f, {48, 18, 59}},   {0.1f, {65, 69, 171}},  {0.2f, {70, 117, 237}},
                       {0.3f, {57, 162, 252}}, {0.4f, {27, 207, 212}}, {0.5f, {36, 236, 166}},
                       {0.6f, {97, 252, 108}}, {0.7f, {164, 252, 59}}, {0.8f, {210, 233, 53}},
                       {0.9f, {251, 128, 34}}, {0.95f, {219, 58, 7}},  {1.0f, {122, 4, 3}}};
const Stop kGray[] = {{0.0f, {0, 0, 0}}, {1.0f, {255, 255, 255}}};

template <size_t N>
std::array<Rgb8, 256> build(const Stop (&stops)[N]) {
  std::array<Rgb8, 256> lut{};
  for (int i = 0; i < 256; ++i) {
    float t = i / 255.0f;
    size_t k = 1;
    while (k < N - 1 && stops[k].t < t) ++k;
    const Stop &a = stops[k - 1], &b = stops[k];
    float f = std::clamp((t - a.t) / (b.t - a.t), 0.0f, 1.0f);
    auto mix = [f](uint8_t x, uint8_t y) {
      return static_cast<uint8_t>(std::lround(x + (static_cast<float>(y) - x) * f));
    };
    lut[i] = {mix(a.c.r, b.c.r), mix(a.c.g, b.c.g), mix(a.c.b, b.c.b)};
  }
  return lut;
}

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
struct Glyph {
  char ch;
  uint8_t rows[7];
};
const Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1E, 0x01, 0x01, 0x0E, 0x01, 0x01, 0x1E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {'/', {0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10}},
};
constexpr int kGlyphW = 5, kGlyphH = 7, kAdvance = 6, kMargin = 2;

const uint8_t *glyph(char ch) {
  for (const Glyph &g : kFont)
    if (g.ch == ch) return g.rows;
  return nullptr;
}

}  // namespace

const std::array<Rgb8, 256> &colormap_table(Colormap map) {
  static const std::array<Rgb8, 256> jet = build(kJet), inferno = build(kInferno),
                                     turbo = build(kTurbo), gray = build(kGray);
  switch (map) {
    case Colormap::kInferno:
      return inferno;
    case Colormap::kTurbo:
      return turbo;
    case Colormap::kGray:
      return gray;
    case Colormap::kJet:
    default:
      return jet;
  }
}

PackedRgb::PackedRgb(GstVideoFrame *frame) {
  const GstVideoFormatInfo *fi = frame->info.finfo;
  data_ = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0));
  width_ = GST_VIDEO_FRAME_WIDTH(frame);
  height_ = GST_VIDEO_FRAME_HEIGHT(frame);
  stride_ = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
  pstride_ = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0);
  r_ = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R);
  g_ = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G);
  b_ = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B);
}

void PackedRgb::fill_rect(int x0, int y0, int w, int h, Rgb8 c) const {
  int x1 = std::min(width_, x0 + w), y1 = std::min(height_, y0 + h);
  for (int y = std::max(0, y0); y < y1; ++y)
    for (int x = std::max(0, x0); x < x1; ++x) set(x, y, c);
}

int text_width(const std::string &text, int scale) {
  return (static_cast<int>(text.size()) * kAdvance - 1 + 2 * kMargin) * scale;
}

void draw_text(const PackedRgb &img, int x, int y, int scale, const std::string &text, Rgb8 fg,
               Rgb8 bg) {
  img.fill_rect(x, y, text_width(text, scale), (kGlyphH + 2 * kMargin) * scale, bg);
  int cx = x + kMargin * scale, cy = y + kMargin * scale;
  for (char ch : text) {
    const uint8_t *rows = glyph(ch);
    if (rows) {
      for (int r = 0; r < kGlyphH; ++r)
        for (int c = 0; c < kGlyphW; ++c)
          if (rows[r] & (0x10 >> c))
            img.fill_rect(cx + c * scale, cy + r * scale, scale, scale, fg);
    }
    cx += kAdvance * scale;
  }
}

}  // namespace lsfa_gst
