#include "nmt/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "nmt/common/device.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/lock.h"
#include "nmt/common/logging.h"
#include "nmt/common/progress.h"
#include "nmt/common/signals.h"
#include "nmt/common/utf8.h"
#include "nmt/data/batcher.h"
#include "nmt/data/dataset.h"
#include "nmt/model/checkpoint.h"
#include "nmt/model/factory.h"
#include "nmt/train/distributed.h"
#include "nmt/train/early_stopping.h"
#include "nmt/train/lr_schedule.h"
#include "nmt/train/metrics.h"
#include "nmt/train/precision.h"
#include "nmt/train/resume_record.h"
#include "nmt/train/rng_state.h"
#include "nmt/train/saver.h"
#include "nmt/train/step.h"
#include "nmt/train/validation.h"
#include "nmt/train/weight_average.h"

namespace nmt::train {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options)
      : config_(config),
        t_(config.training),
        options_(options),
        device_(rank_device(resolve_device(options.device), options.ranks)),
        saver_((fs::path(config.model_dir) / "checkpoints").string(), config.training.keep_checkpoints),
        schedule_(config.training),
        early_stopping_(config.training.early_stopping),
        progress_(options.live_progress),
        precision_(config.training.precision, device_),
        max_time_(config.training.max_time.empty() ? 0.0 : parse_duration(config.training.max_time)) {}

  TrainSummary run();

 private:
  // One update's batches: this rank's share of training.update_freq x ranks.
  struct Update {
    std::vector<data::Batch> batches;
    data::DataPosition consumed;  // the data position after the whole update, the same on every rank
    bool placeholder = false;     // RankShare::placeholder
    int64_t tokens() const {
      int64_t n = 0;
      for (const auto& b : batches) n += placeholder ? 0 : b.tgt_tokens;
      return n;
    }
  };
  Update next_update();
  /// "interrupted", "max_steps", "max_time" or "" (go on); with ranks, what they agree on.
  std::string stop_reason(int64_t tokens, int64_t* all_tokens);
  bool leader() const { return options_.ranks.rank == 0; }
  /// The random state of every rank, for rank 0's next checkpoint (collective).
  void gather_rng();
  void setup();
  void resume();
  double train_step(const Update& update, int64_t all_tokens);
  bool validate_and_save();  // true when early stopping says stop
  /// last.pt with the current state; see CheckpointSaver::save.
  void save(bool numbered, bool best) {
    saver_.save(step_, *model_, *optimizer_, meta().dump(), numbered, best, average_ ? &average_->tensors() : nullptr);
  }
  json meta() const;
  void log_window();  // collective: every rank's window, logged by rank 0
  void write_window(double secs);
  int64_t planned_steps() const;

  Config config_;
  TrainingConfig t_;
  TrainOptions options_;
  torch::Device device_;
  CheckpointSaver saver_;
  LrSchedule schedule_;
  EarlyStopping early_stopping_;
  ProgressLine progress_;
  MixedPrecision precision_;
  double max_time_;  // training.max_time in seconds; 0: no limit

  data::Dataset data_;
  std::optional<Validator> validator_;
  std::shared_ptr<model::Seq2Seq> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<WeightAverage> average_;  // training.ema_decay > 0
  std::optional<data::Batcher> batcher_;
  std::optional<MetricsLog> metrics_;  // rank 0's
  std::unique_ptr<ProcessGroup> group_;        // when options_.ranks.distributed()
  std::unique_ptr<GradientBuckets> buckets_;   // with group_
  std::vector<nlohmann::json> rank_rng_;       // ranks 1..: their random states at the next save
  bool has_validation_ = false;

  int64_t step_ = 0;
  int64_t last_validated_ = -1;
  int64_t bad_steps_ = 0;        // updates skipped in a row for a non-finite loss or gradient
  data::DataPosition position_;  // data consumed by the updates done so far
  int64_t batches_per_epoch_ = 0;
  double elapsed_before_ = 0;  // training seconds of earlier (resumed) runs
  std::chrono::steady_clock::time_point start_;
  double valid_seconds_ = 0;

  // The current logging window.
  double win_loss_ = 0, win_nll_ = 0, win_norm_ = 0;
  int64_t win_tokens_ = 0, win_sents_ = 0, win_steps_ = 0;
  std::chrono::steady_clock::time_point win_start_;
  double tok_per_s_ = 0;
  double win_waited_ = 0, waited_before_ = 0;  // seconds rank 0 was blocked in collectives
};

void Trainer::setup() {
  const std::string last = saver_.last();
  // A new run writes and prunes checkpoints/: it starts only where that holds nothing.
  const fs::path checkpoints = fs::path(last).parent_path();
  if (!options_.resume && fs::is_directory(checkpoints) && !fs::is_empty(checkpoints)) {
    const std::string held =
        fs::exists(last) ? "last.pt" : fs::directory_iterator(checkpoints)->path().filename().string();
    throw ConfigError("model_dir '" + config_.model_dir + "' already holds a training run (checkpoints/" +
                      utf8::printable(held) + "): pass --resume to continue it, or choose another model_dir");
  }
  if (options_.resume && !fs::exists(last)) {
    throw CheckpointError("--resume: there is no checkpoint to resume from ('" + last + "' does not exist)");
  }
  // Rank 0 trains the vocabulary and encodes the corpus; the others then read its files.
  if (leader()) data_ = data::prepare_dataset(config_, options_.threads);
  if (group_) group_->sum({0});
  if (!leader()) data_ = data::prepare_dataset(config_, options_.threads);
  has_validation_ = data_.valid.has_value();
  if (leader()) {
    write_config(config_, config_.model_dir + "/config.json");
    if (data_.valid) {
      validator_.emplace(config_, *data_.valid, data_.vocabs);
    } else {
      NMT_WARN("train", "no data.valid: no validation, early stopping or best checkpoint");
    }
  }

  torch::manual_seed(static_cast<uint64_t>(t_.seed));
  model_ = model::make_model(config_, data_.vocabs.src.size(), data_.vocabs.tgt.size());
  model_->to(device_);
  if (group_) {
    // The same seed made the same weights; the buckets keep rank 0's.
    buckets_ = std::make_unique<GradientBuckets>(model_->parameters(), *group_);
    // Each rank its own dropout masks.
    if (!leader()) torch::manual_seed(static_cast<uint64_t>(t_.seed) + static_cast<uint64_t>(group_->rank()));
  }
  optimizer_ = make_optimizer(t_, model_->parameters());
  if (t_.ema_decay > 0) average_.emplace(*model_, t_.ema_decay);
  batcher_.emplace(*data_.train, data::BatcherOptions::from_config(t_));
  batches_per_epoch_ = batcher_->batches_per_epoch(1);
  if (leader()) metrics_.emplace(config_.model_dir + "/metrics.jsonl");

  int64_t params = 0;
  for (const auto& p : model_->parameters()) params += p.numel();
  NMT_INFO("train", "{} model, {:.2f}M parameters, on {}; {} threads; {}", name_of(config_.model.type),
           params / 1e6, describe_device(device_), options_.threads, name_of(t_.precision));
  NMT_INFO("train", "{} training pairs, {} batches of <= {} target tokens per epoch{}", data_.train->size(),
           batches_per_epoch_, t_.batch_tokens,
           t_.update_freq > 1 ? fmt::format(", {} to an update (training.update_freq)", t_.update_freq) : "");
  if (group_) {
    const int64_t per_update = group_->size() * t_.update_freq;
    NMT_INFO("train", "data-parallel over {} rank{} ({}, {} gradient buckets): {} batch{} to an update",
             group_->size(), group_->size() > 1 ? "s" : "", group_->backend(), buckets_->buckets(), per_update,
             per_update > 1 ? "es" : "");
  }
  if (options_.resume) resume();
}

void Trainer::resume() {
  const std::string path = saver_.last();
  try {
    bool has_average = false;
    const ResumeRecord r = parse_resume_record(model::load_checkpoint(
        path, *model_, optimizer_.get(), average_ ? &average_->tensors() : nullptr, &has_average));
    if (average_ && !has_average) {
      NMT_INFO("train", "{} holds no weight average: training.ema_decay starts one from its weights", path);
      average_.emplace(*model_, t_.ema_decay);
    }
    const int world = options_.ranks.world_size;
    if (r.world_size != world) {
      throw ConfigError(fmt::format("--resume: {} was trained by {} process{}; resume it with {} (WORLD_SIZE or "
                                    "--nproc), not {}",
                                    path, r.world_size, r.world_size > 1 ? "es" : "", r.world_size, world));
    }
    restore_rng(leader() ? r.rng : r.rank_rng.at(static_cast<std::size_t>(options_.ranks.rank - 1)), device_);
    step_ = r.step;
    position_ = r.position;
    schedule_.restore(r.schedule);
    early_stopping_.tracker().restore(r.early_stopping);
    elapsed_before_ = r.elapsed_s;
  } catch (const std::invalid_argument& e) {
    throw CheckpointError("checkpoint '" + path + "' has a damaged record: " + e.what());
  }
  batcher_->seek(position_);
  last_validated_ = step_;
  NMT_INFO("train", "resumed from {} at step {} (epoch {}, batch {})", path, step_, position_.epoch,
           position_.batch);
}

json Trainer::meta() const {
  const auto schedule = schedule_.state();
  json sched = tracker_json(schedule.patience);
  sched["scale"] = schedule.scale;
  json stopping = tracker_json(early_stopping_.tracker().state());
  stopping["metric"] = name_of(early_stopping_.metric());
  json j = {{"step", step_},
          {"epoch", position_.epoch},
          {"batch", position_.batch},
          {"model_type", name_of(config_.model.type)},
          {"schedule", sched},
          {"early_stopping", stopping},
          {"elapsed_s", elapsed_before_ + seconds_since(start_)},
          {"rng", rng_state(device_)}};
  if (group_) {
    j["world_size"] = group_->size();
    j["rank_rng"] = rank_rng_;
  }
  return j;
}

void Trainer::gather_rng() {
  if (!group_) return;
  rank_rng_.clear();
  const auto all = group_->gather(rng_state(device_).dump());
  for (std::size_t r = 1; r < all.size(); ++r) rank_rng_.push_back(json::parse(all[r]));
}

double Trainer::train_step(const Update& update, int64_t all_tokens) {
  set_lr(*optimizer_, schedule_.lr(step_));
  const RankShare share{buckets_.get(), all_tokens, update.placeholder};
  const auto r = train::train_step(*model_, *optimizer_, update.batches, t_, device_, Forward::whole_sequence,
                                   group_ ? &share : nullptr, &precision_);
  if (r.overflow) {
    if (metrics_) metrics_->write({{"event", "overflow"}, {"step", step_}, {"loss_scale", precision_.scale()}});
    progress_.clear();
    NMT_INFO("train", "step {}: fp16 gradients overflowed: update skipped, loss scale now {}", step_,
             precision_.scale());
    return r.loss;
  }
  if (!r.applied) {
    ++bad_steps_;
    if (metrics_) {
      metrics_->write({{"event", "skipped"}, {"step", step_}, {"loss", r.loss}, {"grad_norm", r.grad_norm},
                       {"in_a_row", bad_steps_}});
    }
    progress_.clear();
    NMT_WARN("train", "step {}: loss {} and gradient norm {}: update skipped ({} in a row; at most "
             "training.max_bad_steps = {})", step_, r.loss, r.grad_norm, bad_steps_, t_.max_bad_steps);
    if (bad_steps_ >= t_.max_bad_steps) {
      // The skipped updates left the weights and the optimizer as they were: save that state.
      gather_rng();
      if (leader()) save(/*numbered=*/false, /*best=*/!has_validation_);
      throw std::runtime_error(fmt::format(
          "training diverged: {} updates in a row up to step {} had a NaN or infinite loss or gradient; "
          "{} holds the weights from before them; lower training.lr or raise training.warmup",
          bad_steps_, step_, saver_.last()));
    }
    return r.loss;
  }
  bad_steps_ = 0;
  if (average_) average_->update(*model_, step_);
  win_loss_ += r.loss * static_cast<double>(r.tokens);
  win_nll_ += r.nll;
  win_norm_ += r.grad_norm;
  win_tokens_ += r.tokens;
  if (!update.placeholder) {
    for (const auto& batch : update.batches) win_sents_ += batch.src.size(0);
  }
  ++win_steps_;
  return r.loss;
}

int64_t Trainer::planned_steps() const {
  int64_t total = 0;
  if (t_.max_epochs > 0) total = t_.max_epochs * batches_per_epoch_ / (t_.update_freq * options_.ranks.world_size);
  if (t_.max_steps > 0) total = total > 0 ? std::min(total, t_.max_steps) : t_.max_steps;
  return total;
}

void Trainer::log_window() {
  if (group_) {  // every rank's share of the window
    win_waited_ = group_->waited_seconds() - waited_before_;
    waited_before_ = group_->waited_seconds();
    const auto all = group_->sum({win_loss_, win_nll_, static_cast<double>(win_tokens_), static_cast<double>(win_sents_)});
    win_loss_ = all[0], win_nll_ = all[1];
    win_tokens_ = static_cast<int64_t>(all[2]), win_sents_ = static_cast<int64_t>(all[3]);
  }
  const double secs = seconds_since(win_start_);
  tok_per_s_ = secs > 0 ? static_cast<double>(win_tokens_) / secs : 0;
  if (leader()) write_window(secs);
  win_loss_ = win_nll_ = win_norm_ = 0;
  win_tokens_ = win_sents_ = win_steps_ = 0;
  win_start_ = std::chrono::steady_clock::now();
}

void Trainer::write_window(double secs) {
  const double tokens = static_cast<double>(std::max<int64_t>(1, win_tokens_));
  const double nll = win_nll_ / tokens;
  const double lr = schedule_.lr(step_);
  json j = {{"event", "train"},      {"step", step_},
            {"epoch", position_.epoch}, {"loss", win_loss_ / tokens},
            {"nll", nll},            {"ppl", std::exp(nll)},
            {"lr", lr},              {"grad_norm", win_norm_ / static_cast<double>(std::max<int64_t>(1, win_steps_))},
            {"tgt_tokens", win_tokens_}, {"sentences", win_sents_},
            {"tgt_tok_per_s", tok_per_s_}, {"elapsed_s", elapsed_before_ + seconds_since(start_)}};
  // The share of the window rank 0 spent blocked on the others: sums backward did not hide, and waits.
  if (group_) j["collective_wait_share"] = secs > 0 ? win_waited_ / secs : 0.0;
  metrics_->write(j);
  const int64_t total = planned_steps();
  std::string eta;
  if (total > step_ && tok_per_s_ > 0) eta = " ETA " + human_duration(secs / static_cast<double>(win_steps_) * static_cast<double>(total - step_));
  const std::string line = fmt::format("epoch {} step {}{} loss {:.3f} ppl {:.2f} lr {:.2e} {:.1f}k tok/s{}",
                                       position_.epoch, step_, total > 0 ? fmt::format("/{}", total) : "",
                                       win_loss_ / tokens, std::exp(nll), lr, tok_per_s_ / 1000, eta);
  progress_.clear();
  NMT_INFO("train", "{}", line);
}

bool Trainer::validate_and_save() {
  last_validated_ = step_;
  gather_rng();
  if (!has_validation_) {
    // Without validation, the newest weights are the best known.
    if (leader()) save(/*numbered=*/true, /*best=*/true);
    return false;
  }
  // Rank 0 validates; the others wait for its score, which moves every rank's
  // learning-rate schedule and early stopping alike.
  const auto t0 = std::chrono::steady_clock::now();
  const Metric metric = early_stopping_.metric();
  Validation v;
  double value = 0;
  if (leader()) {
    if (average_) average_->swap(*model_);  // validate the averaged weights
    v = validator_->run(*model_, device_,
                        (fs::path(config_.model_dir) / "attention" / ("step-" + std::to_string(step_))).string(), step_);
    if (average_) average_->swap(*model_);
    value = v.value(metric);
  }
  if (group_) value = group_->broadcast({value})[0];
  const double secs = seconds_since(t0);
  valid_seconds_ += secs;
  schedule_.on_validation(value, higher_is_better(metric));
  const bool improved = early_stopping_.observe(value);
  // Validation time does not count against training throughput.
  win_start_ += std::chrono::steady_clock::now() - t0;
  if (!leader()) return early_stopping_.should_stop();
  metrics_->write({{"event", "valid"}, {"step", step_}, {"epoch", position_.epoch}, {"nll", v.nll},
                   {"ppl", std::exp(v.nll)}, {"bleu", v.bleu}, {"chrf", v.chrf}, {"best", improved},
                   {"seconds", secs}, {"elapsed_s", elapsed_before_ + seconds_since(start_)}});
  progress_.clear();
  NMT_INFO("valid", "step {} nll {:.4f} ppl {:.2f} BLEU {:.2f} chrF {:.2f} ({:.1f}s){}", step_, v.nll,
           std::exp(v.nll), v.bleu, v.chrf, secs,
           improved ? fmt::format(", new best {}", name_of(metric))
                    : fmt::format(", {} validations without improvement", early_stopping_.tracker().since_best()));
  save(/*numbered=*/true, improved);
  if (t_.keep_best > 0) {
    json record = meta();
    record["dev"] = {{"metric", name_of(metric)}, {"score", value}};
    saver_.keep_if_among_best(step_, value, higher_is_better(metric), t_.keep_best, *model_, record.dump(),
                              average_ ? &average_->tensors() : nullptr);
  }
  return early_stopping_.should_stop();
}

Trainer::Update Trainer::next_update() {
  // Every rank walks the same batches (their order fixed by the seed and the
  // epoch) and collates only its own: batch i of the update is rank i's mod ranks.
  const int ranks = group_ ? group_->size() : 1, rank = group_ ? group_->rank() : 0;
  Update u;
  u.consumed = position_;
  std::vector<int64_t> first;
  for (int64_t i = 0; i < t_.update_freq * ranks; ++i) {
    auto ids = batcher_->next_indices();
    // The last epoch's last update takes the batches that are left.
    if (t_.max_epochs > 0 && batcher_->position().epoch > t_.max_epochs) break;
    if (i == 0) first = ids;
    if (i % ranks == rank) u.batches.push_back(data::collate(*data_.train, ids));
    u.consumed = batcher_->position();
  }
  if (u.batches.empty() && !first.empty()) {
    u.batches.push_back(data::collate(*data_.train, first));
    u.placeholder = true;
  }
  return u;
}

std::string Trainer::stop_reason(int64_t tokens, int64_t* all_tokens) {
  bool interrupted = stop_requested();
  bool out_of_time = max_time_ > 0 && elapsed_before_ + seconds_since(start_) >= max_time_;
  *all_tokens = tokens;
  if (group_) {  // any rank's signal or clock stops them all, at the same update, as a SIGTERM if any had one
    const auto all = group_->sum({static_cast<double>(tokens), interrupted ? 1.0 : 0.0, out_of_time ? 1.0 : 0.0,
                                  stop_signal() == SIGTERM ? 1.0 : 0.0});
    *all_tokens = static_cast<int64_t>(all[0]);
    interrupted = all[1] > 0, out_of_time = all[2] > 0;
    if (interrupted) request_stop(all[3] > 0 ? SIGTERM : SIGINT);  // kept where this rank had its own
  }
  if (interrupted) return "interrupted";
  if (t_.max_steps > 0 && step_ >= t_.max_steps) return "max_steps";
  if (out_of_time) return "max_time";
  return "";
}

TrainSummary Trainer::run() {
  if (config_.model_dir.empty()) throw ConfigError("config key model_dir is required");
  // Rank 0 holds model_dir and writes its log; the others only read from it.
  std::optional<DirLock> lock;
  std::optional<log::FileLog> file_log;
  if (leader()) {
    ensure_dir(config_.model_dir);
    lock.emplace(config_.model_dir);
    if (lock->stale_removed() > 0) {
      NMT_INFO("train", "removed {} temporary files left by a run that was killed", lock->stale_removed());
    }
    file_log.emplace(config_.model_dir + "/train.log");
  }
  if (options_.ranks.distributed()) {  // before StopSignals: Ctrl-C ends a wait for the rendezvous at once
    group_ = std::make_unique<ProcessGroup>(options_.ranks, device_, dist_timeout(t_));
  }
  const StopSignals signals;
  setup();
  start_ = win_start_ = std::chrono::steady_clock::now();
  TrainSummary summary;
  const int64_t total = planned_steps();
  while (true) {
    // Batches read for an update that does not happen are read again on --resume.
    const Update update = next_update();
    int64_t all_tokens = 0;
    summary.stop_reason = stop_reason(update.tokens(), &all_tokens);
    if (!summary.stop_reason.empty()) break;
    if (update.batches.empty()) {
      summary.stop_reason = "max_epochs";
      break;
    }
    ++step_;
    train_step(update, all_tokens);
    position_ = update.consumed;
    if (step_ % t_.log_every == 0) log_window();
    if (options_.live_progress) {
      const double frac = total > 0 ? static_cast<double>(step_) / static_cast<double>(total)
                                    : static_cast<double>(position_.batch) / static_cast<double>(batches_per_epoch_);
      progress_.draw(fmt::format("epoch {} step {}{} {} {:.1f}k tok/s", position_.epoch, step_,
                                 total > 0 ? fmt::format("/{}", total) : "", progress_bar(frac, 30),
                                 tok_per_s_ / 1000));
    }
    if (step_ % t_.valid_every == 0 && validate_and_save()) {
      summary.stop_reason = "early_stopping";
      break;
    }
    if (file_log) file_log->check();
  }
  progress_.clear();
  if (summary.stop_reason == "interrupted") {
    gather_rng();
    if (leader()) {
      save(/*numbered=*/false, /*best=*/!has_validation_);
      NMT_INFO("train", "interrupted at step {}: saved {}; continue with --resume", step_, saver_.last());
    }
  } else if (step_ != last_validated_ && step_ > 0) {
    validate_and_save();
  }
  // No rank leaves before rank 0 has written its checkpoints.
  if (group_) group_->sum({0});
  const auto& best = early_stopping_.tracker().state();
  if (metrics_) {
    metrics_->write({{"event", "end"}, {"step", step_}, {"reason", summary.stop_reason},
                     {"elapsed_s", elapsed_before_ + seconds_since(start_)}});
  }
  NMT_INFO("train", "stopped ({}) at step {}, epoch {}, after {}{}", summary.stop_reason, step_, position_.epoch,
           human_duration(seconds_since(start_)),
           best.has_best ? fmt::format("; best {} {:.4g}", name_of(early_stopping_.metric()), best.best) : "");
  if (file_log) file_log->check();
  summary.steps = step_;
  summary.epoch = position_.epoch;
  summary.best_metric = best.has_best ? best.best : std::numeric_limits<double>::quiet_NaN();
  return summary;
}

}  // namespace

TrainSummary train(const Config& config, const TrainOptions& options) { return Trainer(config, options).run(); }

}  // namespace nmt::train
