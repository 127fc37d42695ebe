// A run's checkpoints/best.json, as training reads it before deleting the
// checkpoints that drop out of the ranking: any bytes give entries that each
// name best-STEP.pt of their own step, or a CheckpointError of one line.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "nmt/common/error.h"
#include "nmt/model/checkpoint.h"

namespace {

const std::string g_dir = nmt::fuzz::make_directory("ranking");  // a model directory of the fuzzer's own

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nmt::fuzz::write_input(g_dir + "/best.json", data, size);
  try {
    for (const auto& r : nmt::model::read_ranking(g_dir)) {
      if (r.file != nmt::model::ranked_file_name(r.step) || r.step < 0 || !std::isfinite(r.score)) {
        nmt::fuzz::violated("a ranking entry that is not nmt's own checkpoint was accepted", r.file);
      }
    }
  } catch (const nmt::CheckpointError& e) {
    nmt::fuzz::check_message(e.what());
  } catch (const nmt::DataError& e) {  // best.json larger than a ranking can be
    nmt::fuzz::check_message(e.what());
  }
  return 0;
}
