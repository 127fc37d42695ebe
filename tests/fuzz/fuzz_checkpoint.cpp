// Checkpoint files, as translate and --resume load them, into a small model:
// any bytes give the model's weights and the record, or a CheckpointError of
// one line naming the file. Files without nmt's envelope (those of nmt before
// it had one) are skipped: they go straight to LibTorch's archive reader, whose
// own crashes on damaged archives are what the envelope keeps out. With NMT_FUZZ_WRITE_SEED=PATH it writes a valid
// checkpoint of that model to PATH (the seed corpus's) and exits.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <torch/torch.h>

#include "fuzz_util.h"
#include "nmt/common/error.h"
#include "nmt/model/checkpoint.h"

namespace {

struct Small : torch::nn::Module {
  Small() : linear(register_module("linear", torch::nn::Linear(3, 2))) {}
  torch::nn::Linear linear;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  if (const char* seed = std::getenv("NMT_FUZZ_WRITE_SEED")) {
    Small model;
    torch::optim::Adam adam(model.parameters());
    nmt::model::save_checkpoint(seed, model, &adam, R"({"step": 1})");
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) return 0;
  const nmt::fuzz::MemoryFile file(data, size);
  Small model;
  torch::optim::Adam adam(model.parameters());
  try {
    nmt::model::load_checkpoint(file.path(), model, &adam);
  } catch (const nmt::CheckpointError& e) {
    nmt::fuzz::check_message(e.what());
  }
  return 0;
}
