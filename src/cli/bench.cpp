// nmt bench: speed against the hardware, one JSON line per measurement on stdout.
//   train      training throughput, MFU against the GEMM roofline measured in
//              the same process, peak memory
//   translate  search throughput on the test set, greedy or beam, with a
//              trained model or random weights and forced output lengths
#include <torch/torch.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/device.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/isa.h"
#include "nmt/common/logging.h"
#include "nmt/common/memory.h"
#include "nmt/common/threads.h"
#include "nmt/model/load.h"
#include "nmt/search/decode_bench.h"
#include "nmt/train/train_bench.h"

namespace nmt::cli {
namespace {

struct BenchCliOptions {
  std::string config;
  std::vector<std::string> overrides;
  int threads = 0;
  std::string device = "cpu";
  // train
  train::TrainBenchOptions train;
  bool no_bucketing = false;
  bool stepwise = false;
  // translate
  search::DecodeBenchOptions decode;
  std::string model_dir;
  std::string checkpoint = "best";
  std::string src, ref;
  std::string mode = "forced";
  int64_t limit = 1000;
  int64_t max_len = 100;
  bool unsorted = false;
  bool int8 = false;
  std::string shortlist;  // --shortlist F,K
};

// Every line names what ran it: the LibTorch, the CPU's vector level, the one
// nmt's kernels took, and the core OpenBLAS's kernels were built for.
void print(nlohmann::json j) {
  j["libtorch"] = TORCH_VERSION;
  j["host_isa"] = name_of(host_isa());
  j["kernel_isa"] = name_of(kernel_isa());
  j["blas_core"] = blas_info().core;
  write_stdout(j.dump() + "\n");
}

void run_bench_train(const BenchCliOptions& opt) {
  const Config config = load_config(opt.config, opt.overrides);
  train::TrainBenchOptions options = opt.train;
  options.bucketing = !opt.no_bucketing;
  options.forward = opt.stepwise ? train::Forward::stepwise : train::Forward::whole_sequence;
  options.device = opt.device;
  options.threads = set_threads(opt.threads);
  options.ranks = train::RankInfo::from_environment();
  const auto r = train::bench_training(config, options);
  if (options.ranks.rank > 0) return;  // rank 0 reports for all
  print({
      {"bench", std::string("train/") + name_of(config.model.type)},
      {"config", opt.config},
      {"device", opt.device},
      {"threads", options.threads},
      {"precision", name_of(config.training.precision)},
      {"world_size", options.ranks.world_size},
      {"backend", r.backend},  // empty: no process group
      {"collective_share", r.collective_seconds / r.seconds},
      {"steps", r.steps},
      {"warmup", options.warmup},
      {"batch_tokens", config.training.batch_tokens},
      {"data", options.synthetic_len > 0 ? "random, " + std::to_string(options.synthetic_len) + " pieces a side"
                                         : "corpus"},
      {"bucketing", options.bucketing},
      {"forward", opt.stepwise ? "stepwise" : "whole_sequence"},
      {"params", r.parameters},
      {"train_tgt_tokens_per_s", r.tgt_tokens_per_s()},
      {"train_src_tokens_per_s", static_cast<double>(r.src_tokens) / r.seconds},
      {"step_ms_median", r.step_ms_median},
      {"flops_per_tgt_token", r.flops / static_cast<double>(r.tgt_tokens)},
      {"achieved_gflops", r.achieved_gflops()},
      {"gemm_size", options.gemm_size},
      {"gemm_gflops_before", r.gemm_before.best()},
      {"gemm_gflops_after", r.gemm_after.best()},
      {"gemm_gflops", r.gemm_gflops()},
      {"libtorch_mm_gflops", std::max(r.gemm_before.libtorch, r.gemm_after.libtorch)},
      {"onednn_sgemm_gflops", std::max(r.gemm_before.onednn, r.gemm_after.onednn)},
      {"mfu", r.mfu()},
      {"peak_rss_mb", r.peak_rss_mb},
  });
}

void run_bench_translate(const BenchCliOptions& opt) {
  if (opt.model_dir.empty() == opt.config.empty()) {
    throw ConfigError("nmt bench translate needs either --model DIR (trained weights) or --config FILE (random weights)");
  }
  if (!opt.model_dir.empty() && !opt.overrides.empty()) {
    throw ConfigError("--set changes --config's keys; a --model is benchmarked as trained (use the decoding flags)");
  }
  const int threads = set_threads(opt.threads);
  const torch::Device device = opt.int8 ? resolve_int8_device(opt.device) : resolve_device(opt.device);
  const model::LoadedModel m = !opt.model_dir.empty()
                                   ? model::load_model(opt.model_dir, opt.checkpoint, device)
                                   : search::random_model(load_config(opt.config, opt.overrides), threads, device);
  const std::string src_path = opt.src.empty() ? m.config.data.test.src : opt.src;
  const std::string ref_path = opt.ref.empty() ? m.config.data.test.tgt : opt.ref;
  const bool forced = opt.mode == "forced";
  if (src_path.empty() || (forced && ref_path.empty())) {
    throw ConfigError("no test set: give --src and --ref, or set data.test in the config");
  }
  const auto input = search::read_bench_input(src_path, forced ? ref_path : "", m.vocabs, opt.limit, opt.max_len);
  search::DecodeBenchOptions options = opt.decode;
  options.sort_by_length = !opt.unsorted;
  std::shared_ptr<const search::Shortlist> shortlist;
  if (!opt.shortlist.empty()) shortlist = open_shortlist(opt.shortlist, m);
  options.shortlist = shortlist.get();
  NMT_INFO("bench", "decoding {} sentences of {} ({}), beam {}, {} lengths", input.src.size(), src_path,
           m.checkpoint, options.beam, opt.mode);
  const auto r = search::bench_decoding(*m.model, input.src, input.max_len, options, device);
  print({
      {"bench", std::string("translate/") + name_of(m.config.model.type)},
      {"beam", options.beam},
      {"mode", opt.mode},
      {"max_len", forced ? nlohmann::json("ref_len+1") : nlohmann::json(opt.max_len)},
      {"weights", m.checkpoint},
      {"device", device.str()},
      {"threads", threads},
      {"sentences", r.sentences},
      {"batch_sentences", options.batch_sents},
      {"sorted", options.sort_by_length},
      {"keep_finished", options.keep_finished},
      {"sentences_per_s", static_cast<double>(r.sentences) / r.seconds},
      {"tgt_tokens_per_s", static_cast<double>(r.tgt_tokens) / r.seconds},
      {"tgt_tokens", r.tgt_tokens},
      {"wall_s", r.seconds},
      {"int8", opt.int8},
      {"shortlist", opt.shortlist},
      {"peak_rss_mb", peak_rss_mb()},
  });
}

}  // namespace

Verb setup_bench(CLI::App& app) {
  auto opt = std::make_shared<BenchCliOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Measure speed against the hardware (see scripts/bench.sh)");
  sub->require_subcommand(1);
  auto common = [&](CLI::App* c) {
    c->add_option("--set", opt->overrides, "Override a config key: --set training.batch_tokens=4096");
    c->add_option("--threads", opt->threads, "CPU threads (0 = all cores)")->capture_default_str()
        ->check(within<int>(Range::at_least(0)));
    c->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  };

  CLI::App* train = sub->add_subcommand(
      "train", "Training: target tokens/s, median step, FLOPs per token, MFU against a square GEMM in the training "
               "precision, peak RSS");
  train->add_option("-c,--config", opt->config, "JSON config file (its model_dir holds the vocabulary and cache)")
      ->required()
      ->type_name("FILE");
  train->add_option("--steps", opt->train.steps, "Timed updates")->capture_default_str()->check(within<int64_t>(Range::at_least(1)));
  train->add_option("--warmup", opt->train.warmup, "Untimed updates first")->capture_default_str()
      ->check(within<int64_t>(Range::at_least(0)));
  train->add_option("--seconds", opt->train.seconds, "Stop the timed updates after this long (0: after --steps)")
      ->capture_default_str()
      ->check(within(Range::at_least(0)));
  train->add_option("--gemm-size", opt->train.gemm_size, "Size n of the roofline's n x n x n GEMM")
      ->capture_default_str()
      ->check(within<int64_t>(Range::at_least(1)));
  train->add_option("--synthetic-len", opt->train.synthetic_len,
                    "Random sentences of this many pieces a side, over vocab.size pieces, instead of the corpus")
      ->check(within<int64_t>(Range::closed(1, kMaxPieces)));
  train->add_option("--profile", opt->train.profile,
                    "Record the timed steps' operations into this Chrome trace (scripts/profile.py sums it)")
      ->type_name("FILE");
  train->add_flag("--no-bucketing", opt->no_bucketing, "Batches without length bucketing (what bucketing buys)");
  train->add_flag("--stepwise", opt->stepwise,
                  "Run the decoder one step at a time, as search does (what whole-sequence products buy)");
  common(train);

  CLI::App* translate = sub->add_subcommand(
      "translate", "Search: sentences/s and target tokens/s over the first --limit test sentences");
  translate->add_option("-m,--model", opt->model_dir, "Trained model directory")->type_name("DIR");
  translate->add_option("-c,--config", opt->config, "Config for a model with random weights (seed 1)")->type_name("FILE");
  translate->add_option("--checkpoint", opt->checkpoint, "With --model: best, last, or a file")->capture_default_str();
  translate->add_option("--src", opt->src, "Source sentences (default: the config's data.test.src)")->type_name("FILE");
  translate->add_option("--ref", opt->ref, "References, for forced lengths (default: data.test.tgt)")->type_name("FILE");
  translate->add_option("-b,--beam", opt->decode.beam, "Beam size; 1 is greedy")->capture_default_str()->check(within<int64_t>(Range::closed(1, 1000)));
  translate->add_option("--alpha", opt->decode.alpha, "GNMT length penalty")->capture_default_str()->check(within(Range::at_least(0)));
  translate->add_option("--mode", opt->mode, "forced: stop at the reference length + 1; cap: at eos or --max-len")
      ->capture_default_str()->check(CLI::IsMember({"forced", "cap"}));
  translate->add_option("--limit", opt->limit, "Sentences")->capture_default_str()->check(within<int64_t>(Range::at_least(1)));
  translate->add_option("--batch-sents", opt->decode.batch_sents, "Sentences per batch")->capture_default_str()
      ->check(within<int64_t>(Range::at_least(1)));
  translate->add_option("--max-len", opt->max_len, "Token limit in cap mode")->capture_default_str()
      ->check(within<int64_t>(Range::at_least(1)));
  translate->add_flag("--unsorted", opt->unsorted, "Batches in input order, not sorted by length");
  add_int8_flag(translate, opt->int8);
  add_shortlist_flag(translate, opt->shortlist);
  translate->add_flag("--keep-finished", opt->decode.keep_finished,
                      "Decode every sentence of a batch to the batch's largest limit, as a search that kept "
                      "finished sentences would");
  common(translate);

  return {sub, [opt, train, translate] {
            if (train->parsed()) run_bench_train(*opt);
            if (translate->parsed()) run_bench_translate(*opt);
          }};
}

}  // namespace nmt::cli
