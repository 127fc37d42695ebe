#include "cli/model_options.h"

#include <algorithm>
#include <vector>

#include "cli/checks.h"
#include "nmt/common/device.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"

namespace nmt::cli {
namespace {

constexpr const char* kDecodingSection = "decoding.";

// decoding.max_len_a -> --max-len-a
std::string flag_of(const std::string& key) {
  std::string flag = "--" + key.substr(std::char_traits<char>::length(kDecodingSection));
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

}  // namespace

void add_model_options(CLI::App* sub, ModelOptions& opt) {
  sub->add_option("--checkpoint", opt.checkpoint, "Weights: best, last, or a checkpoint file")->capture_default_str();
  sub->add_option("--device", opt.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  sub->add_option("--threads", opt.threads, "CPU threads (0 = all cores)")
      ->capture_default_str()
      ->check(within(Range::at_least(0)));
  // One flag per decoding key: its type, range and default are the config's.
  for (const KeyInfo& key : config_keys()) {
    if (key.path.rfind(kDecodingSection, 0) != 0) continue;
    std::string names = flag_of(key.path);
    if (names == "--beam") names = "-b,--beam";
    std::string doc = key.doc;
    if (!doc.empty() && doc.back() == '.') doc.pop_back();
    const auto space = key.type.find(' ');  // "integer in [1, 1000]" -> "INT in [1, 1000]"
    const std::string kind = key.type.substr(0, space) == "integer" ? "INT" : "NUMBER";
    sub->add_option_function<std::string>(
           names, [&opt, path = key.path](const std::string& value) { opt.decoding[path] = value; },
           doc + " (default: the model's " + key.path + ")")
        ->type_name(space == std::string::npos ? kind : kind + key.type.substr(space));
  }
  sub->add_option("--n-best", opt.n_best, "Print the N best: 'line ||| text ||| score' (N <= beam)");
  sub->add_option("--max-input-length", opt.max_input_length,
                  "Source pieces a line may have (default: the model's data.max_len)")
      ->check(within(Range::at_least(1)));
  sub->add_option("--max-input-length-policy", opt.max_input_length_policy,
                  "A longer line: crop it (with a warning naming it) or stop with an error")
      ->capture_default_str()
      ->check(CLI::IsMember({"crop", "error"}));
}

ModelSession open_model(const ModelOptions& opt) {
  const int threads = set_threads(opt.threads);
  const torch::Device device = resolve_device(opt.device);
  std::vector<Override> overrides;
  for (const auto& [key, value] : opt.decoding) overrides.push_back({key, value, flag_of(key)});
  ModelSession s{model::load_model(opt.model_dir, opt.checkpoint, device, overrides), {}, device};
  s.search.decoding = s.loaded.config.decoding;
  if (opt.n_best) s.search.n_best = *opt.n_best;
  s.search.max_input_length = opt.max_input_length.value_or(s.loaded.config.data.max_len);
  s.search.crop = opt.max_input_length_policy == "crop";
  s.search.validate();
  NMT_INFO("translate", "{} with beam {}, alpha {}, on {} ({} threads)", s.loaded.checkpoint,
           s.search.decoding.beam, s.search.decoding.alpha, device.str(), threads);
  return s;
}

}  // namespace nmt::cli
