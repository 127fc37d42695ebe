// The record a checkpoint carries, as --resume reads it: any text gives a
// record whose fields hold what the trainer may use, or std::invalid_argument
// of one line naming the field.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_util.h"
#include "nmt/train/resume_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const auto r = nmt::train::parse_resume_record(std::string(reinterpret_cast<const char*>(data), size));
    if (r.step < 0 || r.position.epoch < 1 || r.position.batch < 0 || !(r.schedule.scale > 0) ||
        !std::isfinite(r.schedule.scale) || r.early_stopping.bad < 0 || !(r.elapsed_s >= 0) ||
        !r.rng.at("cpu").is_string()) {
      nmt::fuzz::violated("a record out of range was accepted", r.rng.dump());
    }
  } catch (const std::invalid_argument& e) {
    nmt::fuzz::check_message(e.what());
  }
  return 0;
}
