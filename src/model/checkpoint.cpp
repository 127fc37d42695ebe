#include "nmt/model/checkpoint.h"

#include <filesystem>
#include <sstream>

#include <torch/serialize.h>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"

namespace nmt::model {
namespace {

constexpr int64_t kFormat = 1;

// The first line of a LibTorch message that has text (some begin with a newline).
std::string first_line(const std::string& s) {
  const auto start = s.find_first_not_of(" \n");
  if (start == std::string::npos) return "no reason given";
  return s.substr(start, s.find('\n', start) - start);
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const std::string& meta) {
  torch::serialize::OutputArchive archive;
  archive.write("format", torch::tensor(kFormat));
  archive.write("meta", c10::IValue(meta));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive opt_archive;
    optimizer->save(opt_archive);
    archive.write("optimizer", opt_archive);
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

std::string load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw CheckpointError("checkpoint '" + path + "' does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw CheckpointError("checkpoint '" + path + "' is not a file (a directory or a device)");
  }
  if (std::filesystem::file_size(path, ec) == 0) throw CheckpointError("checkpoint '" + path + "' is empty");
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(read_file(path));
    // Tensors go straight to the model's device, whichever device saved them.
    const auto params = model.parameters();
    archive.load_from(in, params.empty() ? torch::Device(torch::kCPU) : params.front().device());
    torch::Tensor format;
    archive.read("format", format);
    if (format.item<int64_t>() != kFormat) {
      throw CheckpointError("checkpoint '" + path + "' has format " + std::to_string(format.item<int64_t>()) +
                            ", this nmt reads " + std::to_string(kFormat));
    }
    c10::IValue meta;
    archive.read("meta", meta);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    // Module::load adopts whatever shapes the file holds; a config that does not
    // match the checkpoint must be an error, not a silently resized model.
    std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
    for (const auto& p : model.named_parameters()) expected.emplace_back(p.key(), p.value().sizes().vec());
    model.load(model_archive);
    const auto loaded = model.named_parameters();
    for (const auto& [name, sizes] : expected) {
      if (loaded[name].sizes().vec() != sizes) {
        throw CheckpointError("checkpoint '" + path + "' is for other model sizes: " + name + " is " +
                              c10::str(loaded[name].sizes()) + ", the config gives " + c10::str(c10::IntArrayRef(sizes)));
      }
    }
    if (optimizer != nullptr) {
      torch::serialize::InputArchive opt_archive;
      archive.read("optimizer", opt_archive);
      optimizer->load(opt_archive);
    }
    return meta.toStringRef();
  } catch (const CheckpointError&) {
    throw;
  } catch (const c10::Error& e) {
    throw CheckpointError("checkpoint '" + path + "' is truncated, corrupt or for another model: " +
                          first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    // The archive reader also throws others, e.g. torch::jit::ErrorReport for a damaged type table.
    throw CheckpointError("checkpoint '" + path + "' is truncated, corrupt or for another model: " +
                          first_line(e.what()));
  }
}

}  // namespace nmt::model
