// A run's checkpoints/best.json, as training reads it before deleting the
// checkpoints that drop out of the ranking: any bytes give entries that each
// name best-STEP.pt of their own step, or a CheckpointError of one line.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fuzz_util.h"
#include "nmt/common/error.h"
#include "nmt/model/checkpoint.h"

namespace {

std::string g_dir;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/nmt-fuzz-ranking-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  g_dir = tmpl;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::ofstream(g_dir + "/best.json", std::ios::binary).write(reinterpret_cast<const char*>(data),
                                                               static_cast<std::streamsize>(size));
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
