#include "nmt/model/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/version.h>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/memory.h"

namespace nmt::model {
namespace {

constexpr int64_t kFormat = 1;

// The file around LibTorch's archive: "NMTCKPT\0", the archive's length and
// its FNV-1a hash (both little-endian uint64), then the archive. LibTorch's
// reader can crash on a damaged archive (scripts/fuzz.sh found a SEGV in its
// type parser), so no byte reaches it before the length and hash match.
// Files without the envelope are read as before (checkpoints of nmt before
// 2026-12-02), straight by LibTorch.
constexpr char kMagic[8] = {'N', 'M', 'T', 'C', 'K', 'P', 'T', '\0'};
constexpr std::size_t kHeaderBytes = 24;

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

void put_u64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  return v;
}

// Where LibTorch's archive starts in checkpoint file `bytes`: after the
// envelope, once its length and hash match, or at 0 in a file without one.
// A CheckpointError saying what is wrong otherwise.
std::size_t archive_offset(std::string_view bytes, const std::string& path) {
  const std::string name = "checkpoint '" + path + "'";
  if (bytes.empty()) throw CheckpointError(name + " is empty");
  if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return 0;  // without the envelope
  if (bytes.size() < kHeaderBytes || bytes.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    throw CheckpointError(name + " is not an nmt checkpoint");
  }
  const uint64_t length = get_u64(bytes.substr(8, 8));
  const std::string_view archive = bytes.substr(kHeaderBytes);
  if (archive.size() != length) {
    throw CheckpointError(name + " is truncated or extended: it holds " + std::to_string(archive.size()) +
                          " bytes of an archive of " + std::to_string(length));
  }
  if (fnv1a(archive) != get_u64(bytes.substr(16, 8))) {
    throw CheckpointError(name + " is corrupt: its checksum does not match its contents");
  }
  return kHeaderBytes;
}

// The first line of a LibTorch message that has text (some begin with a newline).
std::string first_line(const std::string& s) {
  const auto start = s.find_first_not_of(" \n");
  if (start == std::string::npos) return "no reason given";
  return s.substr(start, s.find('\n', start) - start);
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const std::string& meta, const NamedTensors* average) {
  torch::serialize::OutputArchive archive;
  archive.write("format", torch::tensor(kFormat));
  archive.write("meta", c10::IValue(meta));
  archive.write("libtorch", c10::IValue(std::string(TORCH_VERSION)));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive opt_archive;
    optimizer->save(opt_archive);
    archive.write("optimizer", opt_archive);
  }
  if (average != nullptr) {
    torch::serialize::OutputArchive average_archive;
    for (const auto& t : *average) average_archive.write(t.key(), t.value());
    archive.write("average", average_archive);
  }
  // The envelope's room first, filled in once the archive after it is known.
  std::ostringstream bytes;
  bytes.write(kMagic, sizeof kMagic);
  bytes.write(std::string(kHeaderBytes - sizeof kMagic, '\0').data(), kHeaderBytes - sizeof kMagic);
  archive.save_to(bytes);
  std::string file = bytes.str();
  const std::string_view body = std::string_view(file).substr(kHeaderBytes);
  put_u64(file.data() + 8, body.size());
  put_u64(file.data() + 16, fnv1a(body));
  write_file_atomic(path, file);
}

std::string load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                            NamedTensors* average, bool* has_average) {
  if (has_average != nullptr) *has_average = false;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw CheckpointError("checkpoint '" + path + "' does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw CheckpointError("checkpoint '" + path + "' is not a file (a directory or a device)");
  }
  // The LibTorch that wrote it, where it differs from this one, for messages.
  std::string versions = " (this nmt runs on LibTorch " TORCH_VERSION ")";
  try {
    torch::serialize::InputArchive archive;
    std::string bytes = read_file(path, available_memory_bytes() / 2, "checkpoint");
    bytes.erase(0, archive_offset(bytes, path));
    std::istringstream in(bytes);
    // Tensors go straight to the model's device, whichever device saved them.
    const auto params = model.parameters();
    archive.load_from(in, params.empty() ? torch::Device(torch::kCPU) : params.front().device());
    c10::IValue writer;  // absent in checkpoints of nmt before 2026-12-07
    if (archive.try_read("libtorch", writer) && writer.isString()) {
      versions = writer.toStringRef() == TORCH_VERSION
                     ? ""
                     : " (written with LibTorch " + writer.toStringRef() + ", read with " TORCH_VERSION ")";
    }
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
                              c10::str(loaded[name].sizes()) + ", the config gives " +
                              c10::str(c10::IntArrayRef(sizes)));
      }
    }
    if (optimizer != nullptr) {
      torch::serialize::InputArchive opt_archive;
      archive.read("optimizer", opt_archive);
      optimizer->load(opt_archive);
    }
    torch::serialize::InputArchive average_archive;
    if (average != nullptr && archive.try_read("average", average_archive)) {
      for (const auto& [name, sizes] : expected) {
        torch::Tensor t;
        average_archive.read(name, t);
        if (t.sizes().vec() != sizes) {
          throw CheckpointError("checkpoint '" + path + "' has an average of other sizes: " + name + " is " +
                                c10::str(t.sizes()));
        }
        if (average->contains(name)) {
          (*average)[name] = t.to((*average)[name].device());
        } else {
          average->insert(name, t);
        }
      }
      if (has_average != nullptr) *has_average = true;
    }
    return meta.toStringRef();
  } catch (const CheckpointError&) {
    throw;
  } catch (const c10::Error& e) {
    throw CheckpointError("checkpoint '" + path + "' is truncated, corrupt or for another model" + versions + ": " +
                          first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    // The archive reader also throws others, e.g. torch::jit::ErrorReport for a damaged type table.
    throw CheckpointError("checkpoint '" + path + "' is truncated, corrupt or for another model" + versions + ": " +
                          first_line(e.what()));
  }
}

std::string ranked_file_name(int64_t step) { return "best-" + std::to_string(step) + ".pt"; }

namespace {
constexpr std::size_t kMaxRankingBytes = std::size_t{1} << 20;  // best.json: a few lines per kept checkpoint
}  // namespace

std::vector<RankedCheckpoint> read_ranking(const std::string& dir) {
  const std::string path = dir + "/best.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::vector<RankedCheckpoint> ranking;
  try {
    const auto list = nlohmann::json::parse(read_file(path, kMaxRankingBytes, "ranking"));
    if (!list.is_array()) throw CheckpointError("ranking '" + path + "' is damaged: expected a JSON array");
    for (const auto& j : list) {
      RankedCheckpoint r{j.at("step").get<int64_t>(), j.at("score").get<double>(), j.at("file").get<std::string>()};
      // Its files are deleted when they drop out: each must be nmt's own, in `dir`.
      if (r.step < 0 || !std::isfinite(r.score) || r.file != ranked_file_name(r.step)) {
        throw CheckpointError("ranking '" + path + "' is damaged: entry " + std::to_string(ranking.size() + 1) +
                              " is not {step, score, \"best-STEP.pt\"} with a finite score");
      }
      ranking.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();  // "[json.exception.type_error.302] type must be ...": the text after the tag
    if (const auto tag = what.find("] "); tag != std::string::npos) what.erase(0, tag + 2);
    throw CheckpointError("ranking '" + path + "' is damaged: " + what);
  }
  return ranking;
}

void write_ranking(const std::string& dir, const std::vector<RankedCheckpoint>& ranking) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : ranking) j.push_back({{"step", r.step}, {"score", r.score}, {"file", r.file}});
  write_file_atomic(dir + "/best.json", j.dump(2) + "\n");
}

std::vector<std::pair<int64_t, std::string>> numbered_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> numbered;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    int64_t step = 0;
    int used = 0;
    // Only names nmt writes (step-12.pt, not step-012.pt), and only regular
    // files (not a link): pruning deletes what this returns.
    if (std::sscanf(name.c_str(), "step-%" SCNd64 ".pt%n", &step, &used) == 1 &&
        static_cast<std::size_t>(used) == name.size() && name == "step-" + std::to_string(step) + ".pt" &&
        entry.is_regular_file(ec) && !entry.is_symlink(ec)) {
      numbered.emplace_back(step, entry.path().string());
    }
  }
  std::sort(numbered.begin(), numbered.end());
  return numbered;
}

}  // namespace nmt::model
