#include "cli/model_options.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "cli/checks.h"
#include "nmt/common/device.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"
#include "nmt/model/int8.h"

namespace nmt::cli {
namespace {

constexpr const char* kDecodingSection = "decoding.";

// decoding.max_len_a -> --max-len-a
std::string flag_of(const std::string& key) {
  std::string flag = "--" + key.substr(std::char_traits<char>::length(kDecodingSection));
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// "integer in [1, 1000]" -> "INT in [1, 1000]"
std::string type_name_of(const KeyInfo& key) {
  const auto space = key.type.find(' ');
  const std::string head = key.type.substr(0, space);
  const std::string kind = head == "integer" ? "INT" : head == "number" ? "NUMBER" : "TEXT";
  return space == std::string::npos ? kind : kind + key.type.substr(space);
}

// --weights "0.6,0.4": one finite number >= 0 per model, summing to a positive number.
std::vector<double> parse_weights(const std::string& text, std::size_t models) {
  if (text.empty()) return std::vector<double>(models, 1.0);
  std::vector<double> weights;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto w = to_number(item);
    if (!w || !std::isfinite(*w)) throw ConfigError("--weights: '" + item + "' is not a number (write them as 0.5,0.5)");
    if (*w < 0) throw ConfigError("--weights: " + item + " is negative; a weight must be >= 0");
    weights.push_back(*w);
  }
  if (text.back() == ',') throw ConfigError("--weights: '" + text + "' ends with a comma");
  if (weights.size() != models) {
    throw ConfigError("--weights: " + std::to_string(weights.size()) + " weights for " + std::to_string(models) +
                      " models; give one per --model");
  }
  const double largest = *std::max_element(weights.begin(), weights.end());
  if (!(largest > 0)) throw ConfigError("--weights: '" + text + "' sums to 0; the weights must sum to a positive number");
  for (double& w : weights) w /= largest;  // 1e308,1e308 would sum to infinity
  return weights;
}

// The target vocabulary of a loaded model, as the file it was read from.
bool same_target_vocabulary(const model::LoadedModel& a, const model::LoadedModel& b) {
  return a.vocabs.tgt.size() == b.vocabs.tgt.size() && read_file(a.vocabs.tgt.path(), data::kMaxVocabFileBytes, "vocabulary") ==
             read_file(b.vocabs.tgt.path(), data::kMaxVocabFileBytes, "vocabulary");
}

}  // namespace

void add_int8_flag(CLI::App* sub, bool& int8) {
  sub->add_flag("--int8", int8,
                "Run the linear layers in int8 (weights quantized per row, activations per call; CPU only)");
}

void add_shortlist_flag(CLI::App* sub, std::string& spec) {
  sub->add_option("--shortlist", spec,
                  "Search only the F most frequent target tokens and the K most associated in the training corpus "
                  "with each source token of a batch (F,K, e.g. 100,50), as Marian's and CTranslate2's shortlists");
}

std::shared_ptr<const search::Shortlist> open_shortlist(const std::string& spec, const model::LoadedModel& model) {
  search::Shortlist::Size size;
  try {
    size = search::Shortlist::Size::parse(spec);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("--shortlist: ") + e.what());
  }
  try {
    return std::make_shared<const search::Shortlist>(search::Shortlist::of_model(model, size));
  } catch (const DataError& e) {
    throw DataError(std::string("--shortlist counts the model's training corpus: ") + e.what());
  }
}

torch::Device resolve_int8_device(const std::string& device_flag) {
  // Checked before the device is resolved, so that a CUDA device is refused for
  // --int8's sake even where CUDA is missing too.
  const auto refuse = [](const std::string& what) {
    return ConfigError("--int8 runs on the CPU, not on " + what + "; drop --int8 or pass --device cpu");
  };
  if (device_flag.rfind("cuda", 0) == 0) throw refuse(device_flag);
  const torch::Device device = resolve_device(device_flag);
  if (!device.is_cpu()) throw refuse(device.str());  // --device auto on a CUDA machine
  model::int8::enable();
  NMT_INFO("translate", "int8 linear layers through {}", model::int8::engine());
  return device;
}

void add_model_options(CLI::App* sub, ModelOptions& opt, const std::string& model_flag, bool model_required) {
  auto* model = sub->add_option(model_flag, opt.model_dirs,
                                "Model directory written by nmt train; repeat it to translate with an ensemble")
                    ->type_name("DIR");
  if (model_required) model->required();
  sub->add_option("--checkpoint", opt.checkpoints,
                  "Weights: best, last, or a checkpoint file; once for every model or once per --model")
      ->capture_default_str();
  sub->add_option("--weights", opt.weights,
                  "Ensemble weights, one per --model (e.g. 0.6,0.4; default: equal), normalised to sum to 1");
  sub->add_option("--device", opt.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  sub->add_option("--threads", opt.threads, "CPU threads (0 = all cores)")
      ->capture_default_str()
      ->check(within<int>(Range::at_least(0)));
  add_int8_flag(sub, opt.int8);
  add_shortlist_flag(sub, opt.shortlist);
  // One flag per decoding key: its type, range and default are the config's.
  for (const KeyInfo& key : config_keys()) {
    if (key.path.rfind(kDecodingSection, 0) != 0) continue;
    std::string names = flag_of(key.path);
    if (names == "--beam") names = "-b,--beam";
    std::string doc = key.doc;
    if (!doc.empty() && doc.back() == '.') doc.pop_back();
    sub->add_option_function<std::string>(
           names, [&opt, path = key.path](const std::string& value) { opt.decoding[path] = value; },
           doc + " (default: the model's " + key.path + ")")
        ->type_name(type_name_of(key));
  }
  sub->add_option("--n-best", opt.n_best, "Print the N best: 'line ||| text ||| score' (N <= beam)")
      ->check(within<int64_t>(Range{}));
  sub->add_option("--max-input-length", opt.max_input_length,
                  "Source pieces a line may have (default: the model's data.max_len)")
      ->check(within<int64_t>(Range::closed(1, kMaxPieces)));
  sub->add_option("--max-input-length-policy", opt.max_input_length_policy,
                  "A longer line: crop it (with a warning naming it) or stop with an error")
      ->capture_default_str()
      ->check(CLI::IsMember({"crop", "error"}));
}

ModelSession open_model(const ModelOptions& opt) {
  const auto count = opt.model_dirs.size();
  if (opt.checkpoints.size() != 1 && opt.checkpoints.size() != count) {
    throw ConfigError("--checkpoint: " + std::to_string(opt.checkpoints.size()) + " given for " +
                      std::to_string(count) + " models; give one for all or one per --model");
  }
  ModelSession s;
  s.weights = parse_weights(opt.weights, count);
  const int threads = set_threads(opt.threads);
  s.device = opt.int8 ? resolve_int8_device(opt.device) : resolve_device(opt.device);
  std::vector<Override> overrides;
  for (const auto& [key, value] : opt.decoding) overrides.push_back({key, value, flag_of(key)});
  for (std::size_t i = 0; i < count; ++i) {
    const auto& which = opt.checkpoints[opt.checkpoints.size() == 1 ? 0 : i];
    s.models.push_back(model::load_model(opt.model_dirs[i], which, s.device, overrides));
    if (i > 0 && !same_target_vocabulary(s.models.front(), s.models.back())) {
      throw ConfigError("models '" + opt.model_dirs.front() + "' and '" + opt.model_dirs[i] +
                        "' have different target vocabularies ('" + s.models.front().vocabs.tgt.path() + "', '" +
                        s.models.back().vocabs.tgt.path() + "'); an ensemble needs one");
    }
  }
  const auto& lead = s.models.front().config;
  s.search.decoding = lead.decoding;
  if (opt.n_best) s.search.n_best = *opt.n_best;
  s.search.max_input_length = opt.max_input_length.value_or(lead.data.max_len);
  s.search.crop = opt.max_input_length_policy == "crop";
  s.search.validate();
  if (!opt.shortlist.empty()) s.search.shortlist = open_shortlist(opt.shortlist, s.models.front());
  std::string checkpoints;
  for (const auto& m : s.models) checkpoints += (checkpoints.empty() ? "" : " + ") + m.checkpoint;
  const auto sampling = s.search.decoding.sampler();
  const auto& d = s.search.decoding;
  NMT_INFO("translate", "{} {}, on {} ({} threads)", checkpoints,
           sampling.enabled() ? fmt::format("sampling {}, temperature {}, seed {}", d.sampling, d.temperature, d.seed)
                              : fmt::format("with beam {}, alpha {}", d.beam, d.alpha),
           describe_device(s.device), threads);
  return s;
}

search::Translator ModelSession::translator() const {
  std::vector<search::Member> members;
  for (std::size_t i = 0; i < models.size(); ++i) {
    members.push_back({models[i].model.get(), &models[i].vocabs, weights[i]});
  }
  return search::Translator(std::move(members), search);
}

}  // namespace nmt::cli
