// The random-number state that dropout draws from, kept in a checkpoint's
// record so that a resumed run draws what an uninterrupted one would.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

namespace nmt::train {

/// The CPU generator's state, and the training device's when it is a GPU, as hex strings:
/// {"cpu": "...", "cuda": "..."}.
nlohmann::json rng_state(torch::Device device);

/// Restores what rng_state() recorded; std::invalid_argument naming the key
/// for a string that is not hex or a state of the wrong size.
void restore_rng(const nlohmann::json& state, torch::Device device);

}  // namespace nmt::train
