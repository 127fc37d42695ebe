// Pictures of what a model learned and how its training went, drawn with
// cairo as PNG or SVG (by the file's extension):
// - an attention heatmap: source pieces along x, target pieces down y, one
//   cell per pair coloured by viridis, a colour bar and a title;
// - training curves: panels of series against a common x, several runs
//   overlaid with a legend.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "nmt/search/alignment.h"

namespace nmt::plot {

enum class Format { png, svg };

/// The format a path's extension names; a ConfigError for any but .png and .svg.
Format format_of(const std::string& path);

/// Viridis (matplotlib's perceptually uniform colour map) at v in [0, 1], as RGB in [0, 1].
std::array<double, 3> viridis(double v);

struct Heatmap {
  std::string title;
  std::vector<std::string> columns;  ///< along x: the source pieces
  std::vector<std::string> rows;     ///< down y: the target pieces
  search::Matrix values;             ///< [rows][columns], each in [0, 1]
};

struct Size {
  int width = 0, height = 0;
};

/// Pixel size of a heatmap's picture (the PNG's; the SVG's in points).
Size heatmap_size(const Heatmap& heatmap);

/// The centre, in pixels, of the cell of (row, column).
std::array<double, 2> heatmap_cell_centre(const Heatmap& heatmap, std::size_t row, std::size_t column);

/// The heatmap's picture in `format`: the bytes of a PNG or SVG file.
std::string render_heatmap(const Heatmap& heatmap, Format format);

struct Series {
  std::string label;          ///< the run, in the legend
  std::vector<double> x, y;  ///< points, in order of x
};

struct Panel {
  std::string title;
  std::vector<Series> series;  ///< one per run; an empty one draws nothing
  bool log_y = false;
};

struct Figure {
  std::string title, x_label;
  std::vector<Panel> panels;  ///< laid out in rows of up to three
};

Size figure_size(const Figure& figure);
std::string render_figure(const Figure& figure, Format format);

/// The training curves of runs, from each model directory's metrics.jsonl:
/// panels for training loss, validation perplexity, dev BLEU and chrF,
/// learning rate and target tokens/s, against the update step (or, with
/// `hours`, wall-clock hours), one series per run labelled by its directory. A
/// missing file is a DataError naming it; so is a line that is not a JSON
/// object, named by file and line, unless `skip_bad`, which warns and skips it.
Figure training_curves(const std::vector<std::string>& model_dirs, bool hours, bool skip_bad);

/// Writes bytes from render_*() to `path` atomically.
void save(const std::string& bytes, const std::string& path);

/// Writes `stem`.png and `stem`.svg of a heatmap.
void save_heatmap(const Heatmap& heatmap, const std::string& stem);

}  // namespace nmt::plot
