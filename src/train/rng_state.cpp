#include "nmt/train/rng_state.h"

#include <mutex>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace nmt::train {
namespace {

std::string hex(const torch::Tensor& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto t = bytes.contiguous().to(torch::kCPU);
  const auto* p = t.data_ptr<uint8_t>();
  std::string out;
  out.reserve(static_cast<std::size_t>(t.numel()) * 2);
  for (int64_t i = 0; i < t.numel(); ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

// The bytes of hex string `s`, recorded as rng.KEY; std::invalid_argument if it is not one.
torch::Tensor unhex(const std::string& s, const char* key) {
  if (s.empty() || s.size() % 2 != 0 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw std::invalid_argument(std::string("rng.") + key + " is not a hex string");
  }
  auto t = torch::empty({static_cast<int64_t>(s.size() / 2)}, torch::kUInt8);
  auto* p = t.data_ptr<uint8_t>();
  for (std::size_t i = 0; i < s.size(); i += 2) p[i / 2] = static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16));
  return t;
}

}  // namespace

nlohmann::json rng_state(torch::Device device) {
  nlohmann::json j;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    j["cpu"] = hex(gen.get_state());
  }
  if (device.is_cuda()) {
    auto gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    j["cuda"] = hex(gen.get_state());
  }
  return j;
}

void restore_rng(const nlohmann::json& state, torch::Device device) {
  // A state of another size would make the generator throw a c10::Error with its own backtrace.
  const auto set = [&](at::Generator gen, const char* key) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    const auto bytes = unhex(state.at(key).get<std::string>(), key);
    const auto want = gen.get_state().numel();
    if (bytes.numel() != want) {
      throw std::invalid_argument(std::string("rng.") + key + " holds " + std::to_string(bytes.numel()) +
                                  " bytes, not the " + std::to_string(want) + " of the generator's state");
    }
    gen.set_state(bytes);
  };
  set(at::detail::getDefaultCPUGenerator(), "cpu");
  if (device.is_cuda() && state.contains("cuda")) set(at::globalContext().defaultGenerator(device), "cuda");
}

}  // namespace nmt::train
