// Pictures: attention heatmaps and training curves, read back as a viewer would.
#include <gtest/gtest.h>

#include <cairo.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/plot/plot.h"
#include "test_util.h"

namespace nmt::plot {
namespace {

Heatmap sample_heatmap(std::size_t rows, std::size_t columns) {
  Heatmap h;
  h.title = "line 1 - a model";
  for (std::size_t c = 0; c < columns; ++c) h.columns.push_back(c + 1 == columns ? "</s>" : "\xE2\x96\x81word" + std::to_string(c));
  for (std::size_t r = 0; r < rows; ++r) h.rows.push_back(r + 1 == rows ? "</s>" : "\xE2\x96\x81\xC3\xA9t\xC3\xA9" + std::to_string(r));
  h.values.assign(rows, std::vector<float>(columns, 0.0f));
  for (std::size_t r = 0; r < rows; ++r) h.values[r][std::min(r, columns - 1)] = 1.0f;
  return h;
}

// The image of PNG bytes, through cairo's own reader.
struct Png {
  explicit Png(const std::string& bytes) : bytes_(bytes) {
    surface = cairo_image_surface_create_from_png_stream(
        [](void* closure, unsigned char* data, unsigned int length) {
          auto* self = static_cast<Png*>(closure);
          if (self->at_ + length > self->bytes_.size()) return CAIRO_STATUS_READ_ERROR;
          std::copy_n(self->bytes_.data() + self->at_, length, data);
          self->at_ += length;
          return CAIRO_STATUS_SUCCESS;
        },
        this);
  }
  ~Png() { cairo_surface_destroy(surface); }
  bool ok() const { return cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(surface); }
  int height() const { return cairo_image_surface_get_height(surface); }
  uint32_t pixel(double x, double y) const {
    const auto* row = cairo_image_surface_get_data(surface) + static_cast<int>(y) * cairo_image_surface_get_stride(surface);
    return reinterpret_cast<const uint32_t*>(row)[static_cast<int>(x)] & 0xffffffu;
  }
  cairo_surface_t* surface;

 private:
  const std::string& bytes_;
  std::size_t at_ = 0;
};

// The fill colours of an SVG's cells (spaces removed): the filled paths cairo
// writes for rectangles, as a style before cairo 1.17.6 and as attributes after.
std::vector<std::string> svg_cell_fills(const std::string& svg) {
  const std::regex cell(
      R"re(<path (?:style="[^"]*stroke:none;[^"]*fill:(rgb\([^)]*\))[^"]*"|fill-rule="[^"]*" fill="(rgb\([^)]*\))"[^>]*?))re"
      R"re( d="M [0-9.]+ [0-9.]+ L [0-9.]+ [0-9.]+ L [0-9.]+ [0-9.]+ L [0-9.]+ [0-9.]+ Z)re");
  std::vector<std::string> fills;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), cell); it != std::sregex_iterator(); ++it) {
    std::string fill = (*it)[1].matched ? (*it)[1] : (*it)[2];
    fill.erase(std::remove(fill.begin(), fill.end(), ' '), fill.end());
    fills.push_back(fill);
  }
  return fills;
}

TEST(Heatmap, PngAndSvgOfTheExpectedSizeWithOneCellPerPair) {
  for (const auto& [rows, columns] : std::vector<std::pair<std::size_t, std::size_t>>{{4, 6}, {12, 9}, {100, 100}}) {
    const auto h = sample_heatmap(rows, columns);
    const auto size = heatmap_size(h);
    const Png png(render_heatmap(h, Format::png));
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(png.width(), size.width);
    EXPECT_EQ(png.height(), size.height);
    EXPECT_GE(size.width, static_cast<int>(22 * columns));  // a cell of 22 pixels per pair
    EXPECT_GE(size.height, static_cast<int>(22 * rows));
    const auto svg = render_heatmap(h, Format::svg);
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
    EXPECT_NE(svg.find("width=\"" + std::to_string(size.width) + "px\""), std::string::npos);
    EXPECT_EQ(svg_cell_fills(svg).size(), rows * columns);
  }
  // A diagonal of ones on zeros: the two ends of the colour map.
  const auto h = sample_heatmap(4, 6);
  const Png png(render_heatmap(h, Format::png));
  const auto one = heatmap_cell_centre(h, 1, 1), zero = heatmap_cell_centre(h, 1, 2);
  EXPECT_EQ(png.pixel(one[0], one[1]), 0xfde725u);   // viridis(1)
  EXPECT_EQ(png.pixel(zero[0], zero[1]), 0x440154u);  // viridis(0)
}

TEST(Heatmap, AModelThatAttendsUniformlyDrawsOneColour) {
  // With v_a = 0 every energy is 0: the weights are uniform over the real tokens.
  torch::manual_seed(2);
  model::RNNSearch m(test::tiny_rnnsearch(), 20, 20, 0.0);
  m->eval();
  torch::NoGradGuard no_grad;
  m->named_parameters()["attention.v.weight"].zero_();
  const auto src = torch::tensor({{5, 6, 7, 8, 3}});
  const auto w = m->attention(src, src.ne(0), torch::tensor({{2, 11, 12}}), {})[0];
  Heatmap h;
  h.columns = {"a", "b", "c", "d", "</s>"};
  h.rows = {"x", "y", "</s>"};
  for (int64_t r = 0; r < 3; ++r) h.values.emplace_back(w[r].data_ptr<float>(), w[r].data_ptr<float>() + 5);
  const Png png(render_heatmap(h, Format::png));
  std::set<uint32_t> colours;
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 5; ++c) {
      const auto centre = heatmap_cell_centre(h, r, c);
      colours.insert(png.pixel(centre[0], centre[1]));
    }
  }
  EXPECT_EQ(colours.size(), 1u);
  const auto fills = svg_cell_fills(render_heatmap(h, Format::svg));
  ASSERT_EQ(fills.size(), 15u);
  EXPECT_EQ(std::set<std::string>(fills.begin(), fills.end()).size(), 1u);
}

TEST(Heatmap, ViridisRunsFromPurpleToYellowThroughItsSamples) {
  const auto at = [](double v) {
    const auto c = viridis(v);
    return std::array<int, 3>{static_cast<int>(std::lround(c[0] * 255)), static_cast<int>(std::lround(c[1] * 255)),
                              static_cast<int>(std::lround(c[2] * 255))};
  };
  EXPECT_EQ(at(0), (std::array<int, 3>{0x44, 0x01, 0x54}));
  EXPECT_EQ(at(0.5), (std::array<int, 3>{0x21, 0x90, 0x8d}));
  EXPECT_EQ(at(1), (std::array<int, 3>{0xfd, 0xe7, 0x25}));
  EXPECT_EQ(at(-3), at(0));  // clamped
  EXPECT_EQ(at(7), at(1));
}

TEST(Curves, AMetricsFileDrawsItsPointsInEachPanel) {
  test::TempDir a, b;
  test::write_file(a / "metrics.jsonl",
                   R"({"event":"train","step":100,"elapsed_s":60,"loss":5.0,"lr":0.001,"tgt_tok_per_s":3000})" "\n"
                   R"({"event":"train","step":200,"elapsed_s":120,"loss":4.0,"lr":0.001,"tgt_tok_per_s":3100})" "\n"
                   R"({"event":"valid","step":200,"elapsed_s":130,"ppl":30,"bleu":10,"chrf":30})" "\n"
                   R"({"event":"train","step":300,"elapsed_s":190,"loss":3.5,"lr":0.0005,"tgt_tok_per_s":3050})" "\n"
                   R"({"event":"valid","step":400,"elapsed_s":260,"ppl":20,"bleu":15,"chrf":36})" "\n");
  test::write_file(b / "metrics.jsonl", R"({"event":"train","step":100,"elapsed_s":7200,"loss":6.0,"lr":0.002})" "\n");
  const auto f = training_curves({a.str(), b.str()}, /*hours=*/false, /*skip_bad=*/false);
  ASSERT_EQ(f.panels.size(), 6u);
  const std::vector<std::size_t> first = {3, 2, 2, 2, 3, 3}, second = {1, 0, 0, 0, 1, 0};
  for (std::size_t i = 0; i < 6; ++i) {
    ASSERT_EQ(f.panels[i].series.size(), 2u) << f.panels[i].title;
    EXPECT_EQ(f.panels[i].series[0].x.size(), first[i]) << f.panels[i].title;
    EXPECT_EQ(f.panels[i].series[1].x.size(), second[i]) << f.panels[i].title;
    EXPECT_EQ(f.panels[i].series[0].label, a.str());
  }
  EXPECT_EQ(f.panels[2].series[0].y, (std::vector<double>{10, 15}));  // dev BLEU
  EXPECT_EQ(training_curves({b.str()}, /*hours=*/true, false).panels[0].series[0].x, (std::vector<double>{2.0}));
  for (const auto format : {Format::png, Format::svg}) {
    const auto bytes = render_figure(f, format);
    EXPECT_GT(bytes.size(), 1000u);
    if (format == Format::png) {
      const Png png(bytes);
      ASSERT_TRUE(png.ok());
      EXPECT_EQ(png.width(), figure_size(f).width);
      EXPECT_EQ(png.height(), figure_size(f).height);
    }
  }
}

TEST(Curves, ADamagedLineIsAnErrorNamingItUnlessSkipped) {
  test::TempDir a;
  test::write_file(a / "metrics.jsonl", R"({"event":"train","step":100,"loss":5.0})" "\n" R"({"event":"tra)" "\n"
                                        R"({"event":"train","step":200,"loss":4.0})" "\n");
  try {
    training_curves({a.str()}, false, false);
    FAIL() << "a damaged line must be an error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(a / "metrics.jsonl" + ": line 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(training_curves({a.str()}, false, /*skip_bad=*/true).panels[0].series[0].x.size(), 2u);
  test::TempDir empty;
  EXPECT_THROW(training_curves({empty.str()}, false, false), DataError);
  EXPECT_THROW(format_of("curves.jpg"), ConfigError);
}

// Values whose range is tiny next to their size (steps near 1e18, a loss flat
// at 1e15) still draw, promptly: ticks are counted, not added up until they pass.
TEST(Curves, LargeValuesWithATinyRangeDrawAndEnd) {
  Figure f;
  f.title = "t";
  f.x_label = "update step";
  f.panels.push_back({"loss", {{"run", {1e18, 1e18 + 256}, {1e15, 1e15}}}, false});
  f.panels.push_back({"lr", {{"run", {1, 2}, {1e-300, 1e300}}}, true});
  f.panels.push_back({"far", {{"run", {-1e308, 1e308}, {1, 2}}}, false});
  const Png png(render_figure(f, Format::png));
  EXPECT_TRUE(png.ok());
}

// A picture larger than nmt draws shrinks its cells to fit, and past the
// smallest cell it is refused before cairo is asked; text that is not UTF-8
// (a model directory's name) is drawn escaped, not refused by cairo.
TEST(Heatmap, ALongSentenceShrinksOrIsRefusedAndAnyTitleDraws) {
  Heatmap h = sample_heatmap(800, 900);
  h.title = "line 1 - /runs/\xff\xfe-model\x1b[31m";
  const Size size = heatmap_size(h);
  EXPECT_LE(size.width, 8192);
  EXPECT_LE(size.height, 8192);
  const Png png(render_heatmap(h, Format::png));
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png.width(), size.width);
  EXPECT_EQ(test::error_of([] { heatmap_size(sample_heatmap(5000, 10)); }),
            "an attention heatmap of 5000 x 10 pieces does not fit 8192 pixels with cells of 3; plot shorter sentences");
}

}  // namespace
}  // namespace nmt::plot
