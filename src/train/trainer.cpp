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
#include "nmt/data/batcher.h"
#include "nmt/data/dataset.h"
#include "nmt/model/checkpoint.h"
#include "nmt/model/factory.h"
#include "nmt/train/early_stopping.h"
#include "nmt/train/lr_schedule.h"
#include "nmt/train/metrics.h"
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
        device_(resolve_device(options.device)),
        saver_((fs::path(config.model_dir) / "checkpoints").string(), config.training.keep_checkpoints),
        schedule_(config.training),
        early_stopping_(config.training.early_stopping),
        progress_(options.live_progress) {}

  TrainSummary run();

 private:
  void setup();
  void resume();
  double train_step(const std::vector<data::Batch>& batches);
  bool validate_and_save();  // true when early stopping says stop
  /// last.pt with the current state; see CheckpointSaver::save.
  void save(bool numbered, bool best) {
    saver_.save(step_, *model_, *optimizer_, meta().dump(), numbered, best, average_ ? &average_->tensors() : nullptr);
  }
  json meta() const;
  void log_window();
  int64_t planned_steps() const;

  Config config_;
  TrainingConfig t_;
  TrainOptions options_;
  torch::Device device_;
  CheckpointSaver saver_;
  LrSchedule schedule_;
  EarlyStopping early_stopping_;
  ProgressLine progress_;

  data::Dataset data_;
  std::optional<Validator> validator_;
  std::shared_ptr<model::Seq2Seq> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<WeightAverage> average_;  // training.ema_decay > 0
  std::optional<data::Batcher> batcher_;
  std::optional<MetricsLog> metrics_;

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
};

void Trainer::setup() {
  const std::string last = saver_.last();
  if (!options_.resume && fs::exists(last)) {
    throw ConfigError("model_dir '" + config_.model_dir +
                      "' already holds a training run (checkpoints/last.pt): pass --resume to continue it, or "
                      "choose another model_dir");
  }
  if (options_.resume && !fs::exists(last)) {
    throw CheckpointError("--resume: there is no checkpoint to resume from ('" + last + "' does not exist)");
  }
  data_ = data::prepare_dataset(config_, options_.threads);
  write_config(config_, config_.model_dir + "/config.json");
  if (data_.valid) {
    validator_.emplace(config_, *data_.valid, data_.vocabs);
  } else {
    NMT_WARN("train", "no data.valid: no validation, early stopping or best checkpoint");
  }

  torch::manual_seed(static_cast<uint64_t>(t_.seed));
  model_ = model::make_model(config_, data_.vocabs.src.size(), data_.vocabs.tgt.size());
  model_->to(device_);
  optimizer_ = make_optimizer(t_, model_->parameters());
  if (t_.ema_decay > 0) average_.emplace(*model_, t_.ema_decay);
  batcher_.emplace(*data_.train, data::BatcherOptions::from_config(t_));
  batches_per_epoch_ = static_cast<int64_t>(batcher_->epoch_plan(1).size());
  metrics_.emplace(config_.model_dir + "/metrics.jsonl");

  int64_t params = 0;
  for (const auto& p : model_->parameters()) params += p.numel();
  NMT_INFO("train", "{} model, {:.2f}M parameters, on {}; {} threads", name_of(config_.model.type), params / 1e6,
           device_.str(), options_.threads);
  NMT_INFO("train", "{} training pairs, {} batches of <= {} target tokens per epoch{}", data_.train->size(),
           batches_per_epoch_, t_.batch_tokens,
           t_.update_freq > 1 ? fmt::format(", {} to an update (training.update_freq)", t_.update_freq) : "");
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
    restore_rng(r.rng, device_);
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
  return {{"step", step_},
          {"epoch", position_.epoch},
          {"batch", position_.batch},
          {"model_type", name_of(config_.model.type)},
          {"schedule", sched},
          {"early_stopping", stopping},
          {"elapsed_s", elapsed_before_ + seconds_since(start_)},
          {"rng", rng_state(device_)}};
}

double Trainer::train_step(const std::vector<data::Batch>& batches) {
  set_lr(*optimizer_, schedule_.lr(step_));
  const auto r = train::train_step(*model_, *optimizer_, batches, t_, device_);
  if (!r.applied) {
    ++bad_steps_;
    metrics_->write({{"event", "skipped"}, {"step", step_}, {"loss", r.loss}, {"grad_norm", r.grad_norm},
                     {"in_a_row", bad_steps_}});
    progress_.clear();
    NMT_WARN("train", "step {}: loss {} and gradient norm {}: update skipped ({} in a row; at most "
             "training.max_bad_steps = {})", step_, r.loss, r.grad_norm, bad_steps_, t_.max_bad_steps);
    if (bad_steps_ >= t_.max_bad_steps) {
      // The skipped updates left the weights and the optimizer as they were: save that state.
      save(/*numbered=*/false, /*best=*/!validator_);
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
  for (const auto& batch : batches) win_sents_ += batch.src.size(0);
  ++win_steps_;
  return r.loss;
}

int64_t Trainer::planned_steps() const {
  int64_t total = 0;
  if (t_.max_epochs > 0) total = t_.max_epochs * batches_per_epoch_ / t_.update_freq;
  if (t_.max_steps > 0) total = total > 0 ? std::min(total, t_.max_steps) : t_.max_steps;
  return total;
}

void Trainer::log_window() {
  const double secs = seconds_since(win_start_);
  tok_per_s_ = secs > 0 ? static_cast<double>(win_tokens_) / secs : 0;
  const double tokens = static_cast<double>(std::max<int64_t>(1, win_tokens_));
  const double nll = win_nll_ / tokens;
  const double lr = schedule_.lr(step_);
  json j = {{"event", "train"},      {"step", step_},
            {"epoch", position_.epoch}, {"loss", win_loss_ / tokens},
            {"nll", nll},            {"ppl", std::exp(nll)},
            {"lr", lr},              {"grad_norm", win_norm_ / static_cast<double>(std::max<int64_t>(1, win_steps_))},
            {"tgt_tokens", win_tokens_}, {"sentences", win_sents_},
            {"tgt_tok_per_s", tok_per_s_}, {"elapsed_s", elapsed_before_ + seconds_since(start_)}};
  metrics_->write(j);
  const int64_t total = planned_steps();
  std::string eta;
  if (total > step_ && tok_per_s_ > 0) eta = " ETA " + human_duration(secs / static_cast<double>(win_steps_) * static_cast<double>(total - step_));
  const std::string line = fmt::format("epoch {} step {}{} loss {:.3f} ppl {:.2f} lr {:.2e} {:.1f}k tok/s{}",
                                       position_.epoch, step_, total > 0 ? fmt::format("/{}", total) : "",
                                       win_loss_ / tokens, std::exp(nll), lr, tok_per_s_ / 1000, eta);
  progress_.clear();
  NMT_INFO("train", "{}", line);
  win_loss_ = win_nll_ = win_norm_ = 0;
  win_tokens_ = win_sents_ = win_steps_ = 0;
  win_start_ = std::chrono::steady_clock::now();
}

bool Trainer::validate_and_save() {
  last_validated_ = step_;
  if (!validator_) {
    // Without validation, the newest weights are the best known.
    save(/*numbered=*/true, /*best=*/true);
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (average_) average_->swap(*model_);  // validate the averaged weights
  const Validation v = validator_->run(
      *model_, device_, (fs::path(config_.model_dir) / "attention" / ("step-" + std::to_string(step_))).string(), step_);
  if (average_) average_->swap(*model_);
  const double secs = seconds_since(t0);
  valid_seconds_ += secs;
  const Metric metric = early_stopping_.metric();
  const double value = v.value(metric);
  schedule_.on_validation(value, higher_is_better(metric));
  const bool improved = early_stopping_.observe(value);
  // Validation time does not count against training throughput.
  win_start_ += std::chrono::steady_clock::now() - t0;
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

TrainSummary Trainer::run() {
  if (config_.model_dir.empty()) throw ConfigError("config key model_dir is required");
  ensure_dir(config_.model_dir);
  const DirLock lock(config_.model_dir);
  if (lock.stale_removed() > 0) {
    NMT_INFO("train", "removed {} temporary files left by a run that was killed", lock.stale_removed());
  }
  const log::FileLog file_log(config_.model_dir + "/train.log");
  const StopSignals signals;
  setup();
  start_ = win_start_ = std::chrono::steady_clock::now();
  TrainSummary summary;
  const int64_t total = planned_steps();
  const double max_time = t_.max_time.empty() ? 0.0 : parse_duration(t_.max_time);
  while (true) {
    if (stop_requested()) {
      summary.stop_reason = "interrupted";
      break;
    }
    if (t_.max_steps > 0 && step_ >= t_.max_steps) {
      summary.stop_reason = "max_steps";
      break;
    }
    if (max_time > 0 && elapsed_before_ + seconds_since(start_) >= max_time) {
      summary.stop_reason = "max_time";
      break;
    }
    // training.update_freq batches make one update; the last epoch's last
    // update takes the batches that are left.
    std::vector<data::Batch> batches;
    data::DataPosition consumed = position_;
    while (static_cast<int64_t>(batches.size()) < t_.update_freq) {
      auto ids = batcher_->next_indices();
      if (t_.max_epochs > 0 && batcher_->position().epoch > t_.max_epochs) break;
      batches.push_back(data::collate(*data_.train, ids));
      consumed = batcher_->position();
    }
    if (batches.empty()) {
      summary.stop_reason = "max_epochs";
      break;
    }
    ++step_;
    train_step(batches);
    position_ = consumed;
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
    file_log.check();
  }
  progress_.clear();
  if (summary.stop_reason == "interrupted") {
    save(/*numbered=*/false, /*best=*/!validator_);
    NMT_INFO("train", "interrupted at step {}: saved {}; continue with --resume", step_, saver_.last());
  } else if (step_ != last_validated_ && step_ > 0) {
    validate_and_save();
  }
  const auto& best = early_stopping_.tracker().state();
  metrics_->write({{"event", "end"}, {"step", step_}, {"reason", summary.stop_reason},
                   {"elapsed_s", elapsed_before_ + seconds_since(start_)}});
  NMT_INFO("train", "stopped ({}) at step {}, epoch {}, after {}{}", summary.stop_reason, step_, position_.epoch,
           human_duration(seconds_since(start_)),
           best.has_best ? fmt::format("; best {} {:.4g}", name_of(early_stopping_.metric()), best.best) : "");
  file_log.check();
  summary.steps = step_;
  summary.epoch = position_.epoch;
  summary.best_metric = best.has_best ? best.best : std::numeric_limits<double>::quiet_NaN();
  return summary;
}

}  // namespace

TrainSummary train(const Config& config, const TrainOptions& options) { return Trainer(config, options).run(); }

}  // namespace nmt::train
