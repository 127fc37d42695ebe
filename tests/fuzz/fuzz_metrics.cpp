// A model directory's metrics.jsonl, as `nmt plot curves` reads and draws it:
// any bytes give a figure that draws (promptly: libFuzzer's -timeout catches
// an endless loop) or a DataError of one line naming the file.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "nmt/common/error.h"
#include "nmt/plot/plot.h"

namespace {

const std::string g_dir = nmt::fuzz::make_directory("metrics");  // a model directory of the fuzzer's own

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nmt::fuzz::write_input(g_dir + "/metrics.jsonl", data, size);
  for (const bool skip_bad : {false, true}) {
    try {
      const auto figure = nmt::plot::training_curves({g_dir}, /*hours=*/size % 2 == 1, skip_bad);
      (void)nmt::plot::render_figure(figure, nmt::plot::Format::svg);
    } catch (const nmt::DataError& e) {
      nmt::fuzz::check_message(e.what());
    }
  }
  return 0;
}
