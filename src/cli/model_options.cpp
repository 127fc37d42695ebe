#include "cli/model_options.h"

#include "nmt/common/device.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"

namespace nmt::cli {

void add_model_options(CLI::App* sub, ModelOptions& opt) {
  sub->add_option("--checkpoint", opt.checkpoint, "Weights: best, last, or a checkpoint file")->capture_default_str();
  sub->add_option("--device", opt.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  sub->add_option("--threads", opt.threads, "CPU threads (0 = all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("-b,--beam", opt.beam, "Beam size; 1 is greedy (default: the model's decoding.beam)")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--alpha", opt.alpha, "GNMT length penalty ((5+len)/6)^alpha; 0 disables")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--n-best", opt.n_best, "Print the N best: 'line ||| text ||| score' (N <= beam)")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--max-len-a", opt.max_len_a, "Output length limit a*len(src)+b: a")->check(CLI::NonNegativeNumber);
  sub->add_option("--max-len-b", opt.max_len_b, "Output length limit a*len(src)+b: b")->check(CLI::NonNegativeNumber);
  sub->add_option("--batch-tokens", opt.batch_tokens, "Source tokens per batch")->check(CLI::PositiveNumber);
}

ModelSession open_model(const ModelOptions& opt) {
  const int threads = set_threads(opt.threads);
  const torch::Device device = resolve_device(opt.device);
  ModelSession s{train::load_model(opt.model_dir, opt.checkpoint, device), {}, device};
  s.search = search::SearchOptions::from_config(s.loaded.config.decoding);
  if (opt.beam) s.search.beam = *opt.beam;
  if (opt.alpha) s.search.alpha = *opt.alpha;
  if (opt.n_best) s.search.n_best = *opt.n_best;
  if (opt.max_len_a) s.search.max_len_a = *opt.max_len_a;
  if (opt.max_len_b) s.search.max_len_b = *opt.max_len_b;
  if (opt.batch_tokens) s.search.batch_tokens = *opt.batch_tokens;
  s.search.validate();
  NMT_INFO("translate", "{} with beam {}, alpha {}, on {} ({} threads)", s.loaded.checkpoint, s.search.beam,
           s.search.alpha, device.str(), threads);
  return s;
}

}  // namespace nmt::cli
