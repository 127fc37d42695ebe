#include "nmt/plot/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include <cairo-svg.h>
#include <cairo.h>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/utf8.h"

namespace nmt::plot {
namespace {

constexpr const char* kFont = "DejaVu Sans";
constexpr double kMargin = 16, kLabelFont = 12, kTitleFont = 15, kTickFont = 11;
// The largest side of a picture: a PNG of 8192 x 8192 is 256 MiB while it is
// drawn; cairo itself stops at 32767. A heatmap's cells are never below kMinCell.
constexpr int kMaxSide = 8192;
constexpr double kMinCell = 3;

// Viridis sampled at nine evenly spaced points (matplotlib's values), between
// which colours are interpolated.
constexpr std::array<std::array<int, 3>, 9> kViridis = {{{0x44, 0x01, 0x54}, {0x47, 0x2c, 0x7a}, {0x3b, 0x51, 0x8b},
                                                         {0x2c, 0x71, 0x8e}, {0x21, 0x90, 0x8d}, {0x27, 0xad, 0x81},
                                                         {0x5c, 0xc8, 0x63}, {0xaa, 0xdc, 0x32}, {0xfd, 0xe7, 0x25}}};

// Series colours, distinguishable side by side (Tableau's ten).
constexpr std::array<std::array<int, 3>, 10> kPalette = {{{31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                                                          {214, 39, 40}, {148, 103, 189}, {140, 86, 75},
                                                          {227, 119, 194}, {127, 127, 127}, {188, 189, 34},
                                                          {23, 190, 207}}};

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Text cairo accepts: valid UTF-8 without control characters (a title holds
// paths, which may be neither), at most kMaxTextChars characters.
std::string drawable(const std::string& text) {
  constexpr std::size_t kMaxTextChars = 160;
  std::string out = utf8::printable(text);
  std::size_t i = 0, chars = 0;
  while (i < out.size() && chars < kMaxTextChars) {
    i += utf8::seq_len(static_cast<unsigned char>(out[i]));
    ++chars;
  }
  if (i < out.size()) out = out.substr(0, i) + "\u2026";
  return out;
}

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS) throw SystemError(std::string(what) + ": " + cairo_status_to_string(status));
}

void set_font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

// Text widths, measured on a scratch surface with the fonts the picture uses.
class Measure {
 public:
  Measure() : surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1), cairo_surface_destroy),
              cr_(cairo_create(surface_.get()), cairo_destroy) {}
  double width(const std::string& text, double size, bool bold = false) {
    set_font(cr_.get(), size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr_.get(), drawable(text).c_str(), &e);
    return e.x_advance;
  }
  double widest(const std::vector<std::string>& texts, double size) {
    double w = 0;
    for (const auto& t : texts) w = std::max(w, width(t, size));
    return w;
  }

 private:
  Surface surface_;
  Context cr_;
};

// Draws with `paint` on a surface of `size` in `format` and returns the file's bytes.
template <typename Paint>
std::string render(Size size, Format format, Paint paint) {
  if (size.width <= 0 || size.height <= 0 || size.width > kMaxSide || size.height > kMaxSide) {
    throw DataError("a picture of " + std::to_string(size.width) + " x " + std::to_string(size.height) +
                    " pixels is larger than the " + std::to_string(kMaxSide) + " a side nmt draws");
  }
  std::string bytes;
  Surface surface(format == Format::svg
                      ? cairo_svg_surface_create_for_stream(append, &bytes, size.width, size.height)
                      : cairo_image_surface_create(CAIRO_FORMAT_RGB24, size.width, size.height),
                  cairo_surface_destroy);
  check(cairo_surface_status(surface.get()), "cannot create a picture");
  // In pixels, as large on screen as the PNG; cairo's default unit changed in 1.17.6 (pt before, none after).
  if (format == Format::svg) cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
  {
    Context cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    paint(cr.get());
    check(cairo_status(cr.get()), "cannot draw the picture");
  }
  if (format == Format::png) {
    check(cairo_surface_write_to_png_stream(surface.get(), append, &bytes), "cannot encode the PNG");
  } else {
    cairo_surface_finish(surface.get());
    check(cairo_surface_status(surface.get()), "cannot write the SVG");
  }
  return bytes;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, std::abs(v) >= 1e6 || (v != 0 && std::abs(v) < 1e-4) ? "%.0e" : "%g", v);
  return text;
}

void text_at(cairo_t* cr, double x, double y, const std::string& text) {
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, drawable(text).c_str());
}

// Pieces as a reader wants them: SentencePiece's word-start mark as a visible space.
std::string label(const std::string& piece) {
  using search::kWordStart;
  return piece.compare(0, kWordStart.size(), kWordStart) == 0 ? "\xE2\x80\xA2" + piece.substr(kWordStart.size())
                                                                : piece;
}

std::vector<std::string> labels(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces) out.push_back(label(p));
  return out;
}

// The geometry of a heatmap's picture.
struct HeatmapLayout {
  double cell = 22, left = 0, top = 0, grid_w = 0, grid_h = 0, bar_x = 0, bar_w = 14;
  Size size;

  explicit HeatmapLayout(const Heatmap& h) {
    Measure m;
    const double row_labels = m.widest(labels(h.rows), kLabelFont), col_labels = m.widest(labels(h.columns), kLabelFont);
    const double title_h = h.title.empty() ? 0 : kTitleFont + 12;
    left = kMargin + row_labels + 8;
    top = kMargin + title_h + col_labels + 8;
    // Cells shrink so that a long sentence's picture stays within kMaxSide;
    // past kMinCell they would not show, and the picture is refused.
    const double cells = static_cast<double>(std::max<std::size_t>({h.columns.size(), h.rows.size(), 1}));
    const double room = kMaxSide - std::max(left + 16 + bar_w + 6 + m.width("0.75", kTickFont), top) - 2 * kMargin;
    cell = std::min(cell, std::floor(room / cells));
    if (cell < kMinCell) {
      throw DataError("an attention heatmap of " + std::to_string(h.rows.size()) + " x " +
                      std::to_string(h.columns.size()) + " pieces does not fit " + std::to_string(kMaxSide) +
                      " pixels with cells of " + std::to_string(static_cast<int>(kMinCell)) +
                      "; plot shorter sentences");
    }
    grid_w = cell * static_cast<double>(h.columns.size());
    grid_h = cell * static_cast<double>(h.rows.size());
    bar_x = left + grid_w + 16;
    const double bar_h = std::max(grid_h, 100.0);
    const double width = std::min(std::max(bar_x + bar_w + 6 + m.width("0.75", kTickFont) + kMargin,
                                           kMargin * 2 + m.width(h.title, kTitleFont, true)),
                                  static_cast<double>(kMaxSide));
    size.width = static_cast<int>(std::ceil(width));
    size.height = static_cast<int>(std::ceil(top + bar_h + kMargin));
  }
};

}  // namespace

Format format_of(const std::string& path) {
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".png") return Format::png;
  if (ext == ".svg") return Format::svg;
  throw ConfigError(path + ": a picture must be named .png or .svg");
}

std::array<double, 3> viridis(double v) {
  const double x = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0) * (kViridis.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(x), kViridis.size() - 2);
  const double f = x - static_cast<double>(i);
  std::array<double, 3> rgb{};
  for (std::size_t c = 0; c < 3; ++c) rgb[c] = ((1 - f) * kViridis[i][c] + f * kViridis[i + 1][c]) / 255.0;
  return rgb;
}

Size heatmap_size(const Heatmap& heatmap) { return HeatmapLayout(heatmap).size; }

std::array<double, 2> heatmap_cell_centre(const Heatmap& heatmap, std::size_t row, std::size_t column) {
  const HeatmapLayout l(heatmap);
  return {l.left + l.cell * (static_cast<double>(column) + 0.5), l.top + l.cell * (static_cast<double>(row) + 0.5)};
}

std::string render_heatmap(const Heatmap& h, Format format) {
  const HeatmapLayout l(h);
  return render(l.size, format, [&](cairo_t* cr) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (!h.title.empty()) {
      set_font(cr, kTitleFont, true);
      text_at(cr, kMargin, kMargin + kTitleFont, h.title);
    }
    // One filled square per (target, source) pair.
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (std::size_t r = 0; r < h.rows.size(); ++r) {
      for (std::size_t c = 0; c < h.columns.size(); ++c) {
        const double v = r < h.values.size() && c < h.values[r].size() ? h.values[r][c] : 0.0;
        const auto rgb = viridis(v);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        // Each cell overlaps its right and lower neighbours by a fraction of a
        // pixel, so that no SVG viewer's anti-aliasing shows seams between them.
        const double w = l.cell + (c + 1 < h.columns.size() ? 0.6 : 0), hh = l.cell + (r + 1 < h.rows.size() ? 0.6 : 0);
        cairo_rectangle(cr, l.left + l.cell * static_cast<double>(c), l.top + l.cell * static_cast<double>(r), w, hh);
        cairo_fill(cr);
      }
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    // Labels: rows right-aligned at the left, columns upright above the grid.
    set_font(cr, kLabelFont);
    cairo_set_source_rgb(cr, 0, 0, 0);
    Measure m;
    for (std::size_t r = 0; r < h.rows.size(); ++r) {
      const auto text = label(h.rows[r]);
      text_at(cr, l.left - 6 - m.width(text, kLabelFont), l.top + l.cell * (static_cast<double>(r) + 0.5) + 4, text);
    }
    for (std::size_t c = 0; c < h.columns.size(); ++c) {
      cairo_save(cr);
      cairo_move_to(cr, l.left + l.cell * (static_cast<double>(c) + 0.5) + 4, l.top - 6);
      cairo_rotate(cr, -M_PI / 2);
      cairo_show_text(cr, drawable(label(h.columns[c])).c_str());
      cairo_restore(cr);
    }
    // The colour bar, 1 at the top, with ticks every quarter.
    const double bar_h = std::max(l.grid_h, 100.0);
    auto gradient = std::unique_ptr<cairo_pattern_t, decltype(&cairo_pattern_destroy)>(
        cairo_pattern_create_linear(0, l.top + bar_h, 0, l.top), cairo_pattern_destroy);
    for (int i = 0; i <= 16; ++i) {
      const auto rgb = viridis(i / 16.0);
      cairo_pattern_add_color_stop_rgb(gradient.get(), i / 16.0, rgb[0], rgb[1], rgb[2]);
    }
    cairo_rectangle(cr, l.bar_x, l.top, l.bar_w, bar_h);
    cairo_set_source(cr, gradient.get());
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, l.bar_x + 0.5, l.top + 0.5, l.bar_w - 1, bar_h - 1);
    cairo_stroke(cr);
    set_font(cr, kTickFont);
    for (int i = 0; i <= 4; ++i) {
      const auto tick = number(i / 4.0);
      const double y = l.top + bar_h * (1 - i / 4.0);
      cairo_move_to(cr, l.bar_x + l.bar_w, y);
      cairo_line_to(cr, l.bar_x + l.bar_w + 4, y);
      cairo_stroke(cr);
      text_at(cr, l.bar_x + l.bar_w + 6, y + 4, tick);
    }
  });
}

namespace {

constexpr double kPanelW = 380, kPanelH = 250, kColumns = 3;

// Round tick steps (1, 2 or 5 times a power of ten) covering [lo, hi] in about four.
// Counted, not accumulated: at 1e18 a step of 1 would not move t at all.
std::vector<double> ticks(double lo, double hi) {
  if (!(hi > lo) || !std::isfinite(hi - lo)) return {lo};
  const double raw = (hi - lo) / 4, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double unit = raw / magnitude;
  const double step = magnitude * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
  std::vector<double> out;
  const double first = std::ceil(lo / step), last = std::floor(hi / step + 1e-9);
  for (int k = 0; k <= 8 && first + k <= last; ++k) {
    const double t = (first + k) * step;
    out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

// Widens [lo, hi] to at least a billionth of its magnitude (and at least
// `least`): a narrower range has no distinct pixels or ticks in doubles.
void widen(double& lo, double& hi, double least) {
  const double span = std::max(least, std::max(std::abs(lo), std::abs(hi)) * 1e-9);
  if (hi - lo >= span) return;
  const double mid = lo / 2 + hi / 2;
  lo = mid - span / 2;
  hi = mid + span / 2;
}

// Ticks of a log axis over [lo, hi] in log10: the 1, 2, 5 of each decade
// inside it (only the powers of ten when those are many; every digit when
// they are too few), as log10 of the values.
std::vector<double> log_ticks(double lo, double hi) {
  const auto pick = [&](std::initializer_list<int> mantissas) {
    std::vector<double> out;
    for (double decade = std::floor(lo); decade <= std::ceil(hi); ++decade) {
      for (const int m : mantissas) {
        const double t = decade + std::log10(m);
        if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push_back(t);
      }
    }
    return out;
  };
  auto ticks = pick({1, 2, 5});
  if (ticks.size() > 6) ticks = pick({1});
  if (ticks.size() < 2) ticks = pick({1, 2, 3, 4, 5, 6, 7, 8, 9});
  return ticks;
}

void draw_panel(cairo_t* cr, const Panel& p, const std::string& x_label, double x0, double y0) {
  const double left = x0 + 56, right = x0 + kPanelW - 14, top = y0 + 30, bottom = y0 + kPanelH - 40;
  cairo_set_source_rgb(cr, 0, 0, 0);
  set_font(cr, kLabelFont + 1, true);
  text_at(cr, left, y0 + 18, p.title);
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  const auto fy = [&](double y) { return p.log_y ? std::log10(y) : y; };
  for (const auto& s : p.series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (p.log_y && s.y[i] <= 0)) continue;
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, fy(s.y[i]));
      yhi = std::max(yhi, fy(s.y[i]));
    }
  }
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, left + 0.5, top + 0.5, right - left, bottom - top);
  cairo_stroke(cr);
  if (!(xlo <= xhi)) {
    set_font(cr, kTickFont);
    text_at(cr, left + 10, (top + bottom) / 2, "no points");
    return;
  }
  if (!std::isfinite(xhi - xlo) || !std::isfinite(yhi - ylo)) {  // e.g. -1e308 and 1e308
    set_font(cr, kTickFont);
    text_at(cr, left + 10, (top + bottom) / 2, "values too far apart to draw");
    return;
  }
  widen(xlo, xhi, 1);
  widen(ylo, yhi, 1);
  const double pad = (yhi - ylo) * 0.05;
  ylo -= pad;
  yhi += pad;
  const auto px = [&](double x) { return left + (x - xlo) / (xhi - xlo) * (right - left); };
  const auto py = [&](double y) { return bottom - (y - ylo) / (yhi - ylo) * (bottom - top); };
  set_font(cr, kTickFont);
  Measure m;
  for (const double t : ticks(xlo, xhi)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, px(t), top);
    cairo_line_to(cr, px(t), bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    const auto text = number(t);
    text_at(cr, px(t) - m.width(text, kTickFont) / 2, bottom + 14, text);
  }
  for (const double t : p.log_y ? log_ticks(ylo, yhi) : ticks(ylo, yhi)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, left, py(t));
    cairo_line_to(cr, right, py(t));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    const auto text = number(p.log_y ? std::pow(10.0, t) : t);
    text_at(cr, left - 4 - m.width(text, kTickFont), py(t) + 4, text);
  }
  text_at(cr, (left + right) / 2 - m.width(x_label, kTickFont) / 2, bottom + 30, x_label);
  cairo_set_line_width(cr, 1.6);
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const auto& c = kPalette[k % kPalette.size()];
    cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
    const auto& s = p.series[k];
    bool drawing = false;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (p.log_y && s.y[i] <= 0)) continue;
      if (drawing) {
        cairo_line_to(cr, px(s.x[i]), py(fy(s.y[i])));
      } else {
        cairo_move_to(cr, px(s.x[i]), py(fy(s.y[i])));
        drawing = true;
      }
    }
    if (s.x.size() == 1) cairo_rel_line_to(cr, 0.01, 0);  // a single point still shows, with a round cap
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_stroke(cr);
  }
}

// The runs named in a figure's series, in order of first appearance.
std::vector<std::string> runs_of(const Figure& f) {
  std::vector<std::string> runs;
  for (const auto& p : f.panels) {
    for (const auto& s : p.series) {
      if (std::find(runs.begin(), runs.end(), s.label) == runs.end()) runs.push_back(s.label);
    }
  }
  return runs;
}

}  // namespace

Size figure_size(const Figure& f) {
  const auto n = static_cast<double>(f.panels.size());
  const double cols = std::max(1.0, std::min(kColumns, n)), rows = std::max(1.0, std::ceil(n / kColumns));
  const double legend = 22.0 * static_cast<double>(runs_of(f).size());
  return {static_cast<int>(kMargin * 2 + cols * kPanelW),
          static_cast<int>(kMargin * 2 + kTitleFont + 12 + rows * kPanelH + legend + 8)};
}

std::string render_figure(const Figure& f, Format format) {
  return render(figure_size(f), format, [&](cairo_t* cr) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(cr, kTitleFont, true);
    text_at(cr, kMargin, kMargin + kTitleFont, f.title);
    const double y0 = kMargin + kTitleFont + 12;
    for (std::size_t i = 0; i < f.panels.size(); ++i) {
      const double col = static_cast<double>(i % static_cast<std::size_t>(kColumns));
      const double row = static_cast<double>(i / static_cast<std::size_t>(kColumns));
      draw_panel(cr, f.panels[i], f.x_label, kMargin + col * kPanelW, y0 + row * kPanelH);
    }
    // The legend: one coloured line and name per run.
    const auto runs = runs_of(f);
    const double rows = std::max(1.0, std::ceil(static_cast<double>(f.panels.size()) / kColumns));
    double y = y0 + rows * kPanelH + 14;
    set_font(cr, kLabelFont);
    cairo_set_line_width(cr, 3);
    for (std::size_t k = 0; k < runs.size(); ++k, y += 22) {
      const auto& c = kPalette[k % kPalette.size()];
      cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
      cairo_move_to(cr, kMargin + 56, y - 4);
      cairo_line_to(cr, kMargin + 86, y - 4);
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      text_at(cr, kMargin + 94, y, runs[k]);
    }
  });
}

void save(const std::string& bytes, const std::string& path) { write_file_atomic(path, bytes); }

void save_heatmap(const Heatmap& heatmap, const std::string& stem) {
  save(render_heatmap(heatmap, Format::png), stem + ".png");
  save(render_heatmap(heatmap, Format::svg), stem + ".svg");
}

}  // namespace nmt::plot
