// Drawing helpers of lsfaoverlay: colour maps, a tiny bitmap font and packed-RGB pixel access.
// Plain C++ over GstVideoFrame; no model code.
#pragma once

#include <gst/video/video.h>

#include <array>
#include <cstdint>
#include <string>

namespace lsfa_gst {

enum class Colormap { kJet = 0, kInferno = 1, kTurbo = 2, kGray = 3 };

struct Rgb8 {
  uint8_t r, g, b;
};

// 256-entry lookup table of a colour map (index 0 = low end).
const std::array<Rgb8, 256> &colormap_table(Colormap map);

// Byte access to a packed RGB-family frame (RGB, BGR, RGBx, BGRx, RGBA, BGRA, ...).
class PackedRgb {
 public:
  explicit PackedRgb(GstVideoFrame *frame);
  int width() const { return width_; }
  int height() const { return height_; }
  uint8_t *pixel(int x, int y) const { return data_ + y * stride_ + x * pstride_; }
  Rgb8 get(int x, int y) const {
    const uint8_t *p = pixel(x, y);
    return {p[r_], p[g_], p[b_]};
  }
  void set(int x, int y, Rgb8 c) const {
    uint8_t *p = pixel(x, y);
    p[r_] = c.r;
    p[g_] = c.g;
    p[b_] = c.b;
  }
  void fill_rect(int x0, int y0, int w, int h, Rgb8 c) const;

 private:
  uint8_t *data_;
  int width_, height_, stride_, pstride_, r_, g_, b_;
};

// Draws `text` (digits, '.', '-', '/', ' ') with a 5x7 font scaled by `scale`, top-left at (x, y),
// in `fg` on a filled `bg` box. Characters outside the font are drawn as blanks. Clipped to the
// frame.
void draw_text(const PackedRgb &img, int x, int y, int scale, const std::string &text, Rgb8 fg,
               Rgb8 bg);

// Width in pixels of `text` drawn at `scale` (including the box margin).
int text_width(const std::string &text, int scale);

}  // namespace lsfa_gst
