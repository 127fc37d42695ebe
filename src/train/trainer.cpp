#include "nmt/train/trainer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "nmt/common/device.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/data/batcher.h"
#include "nmt/data/corpus.h"
#include "nmt/data/dataset.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/model/factory.h"
#include "nmt/search/translator.h"
#include "nmt/train/checkpoint.h"
#include "nmt/train/loss.h"
#include "nmt/train/lr_schedule.h"
#include "nmt/train/step.h"

namespace nmt::train {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

// Installs SIGINT/SIGTERM handlers for the life of a run. The first signal asks
// for a clean stop; SA_RESETHAND makes a second one act as usual.
class SignalGuard {
 public:
  SignalGuard() {
    g_stop.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string human_duration(double s) {
  const auto total = static_cast<int64_t>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02d}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02d}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

std::string hex(const torch::Tensor& bytes) {
  const auto t = bytes.contiguous().to(torch::kCPU);
  const auto* p = t.data_ptr<uint8_t>();
  std::string out;
  out.reserve(static_cast<std::size_t>(t.numel()) * 2);
  for (int64_t i = 0; i < t.numel(); ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

torch::Tensor unhex(const std::string& s) {
  auto t = torch::empty({static_cast<int64_t>(s.size() / 2)}, torch::kUInt8);
  auto* p = t.data_ptr<uint8_t>();
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) p[i / 2] = static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16));
  return t;
}

// The random-number state that dropout draws from, on the CPU and the training device.
json rng_state(torch::Device device) {
  json j;
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

void restore_rng(const json& j, torch::Device device) {
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(unhex(j.at("cpu").get<std::string>()));
  }
  if (device.is_cuda() && j.contains("cuda")) {
    auto gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(unhex(j.at("cuda").get<std::string>()));
  }
}

// Appends one JSON object per line and flushes, so the file is readable while training runs.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
    if (!out_) throw DataError("cannot write '" + path + "'");
  }
  void write(const json& j) {
    out_ << j.dump() << '\n';
    out_.flush();
    if (!out_) throw DataError("cannot write '" + path_ + "'");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

struct Validation {
  double nll = 0;  // per target token, eos included
  double bleu = 0;
  double chrf = 0;

  double metric(const std::string& name) const { return name == "bleu" ? bleu : name == "chrf" ? chrf : nll; }
};

// Progress: a line redrawn in place on a terminal, or plain log lines.
class Progress {
 public:
  explicit Progress(bool live) : live_(live) {}

  void draw(const std::string& text) {
    if (!live_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  /// Clears the live line before a log line is printed.
  void clear() {
    if (!shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool live_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::string bar(double fraction, int width) {
  const int full = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  return "[" + std::string(static_cast<std::size_t>(full), '#') + std::string(static_cast<std::size_t>(width - full), '.') + "]";
}

class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options)
      : config_(config),
        t_(config.training),
        options_(options),
        device_(resolve_device(options.device)),
        ckpt_dir_((fs::path(config.model_dir) / "checkpoints").string()),
        schedule_(config.training),
        progress_(options.live_progress) {}

  TrainSummary run();

 private:
  void setup();
  void resume();
  double train_step(const data::Batch& batch);
  Validation validate();
  bool validate_and_save();  // true when early stopping says stop
  void save(bool improved, bool numbered);
  json meta() const;
  void log_window();
  int64_t planned_steps() const;

  Config config_;
  TrainingConfig t_;
  TrainOptions options_;
  torch::Device device_;
  std::string ckpt_dir_;
  LrSchedule schedule_;
  Progress progress_;

  data::Dataset data_;
  std::vector<std::string> valid_src_, valid_ref_;
  std::shared_ptr<model::Seq2Seq> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<data::Batcher> batcher_;
  std::optional<MetricsLog> metrics_;

  int64_t step_ = 0;
  int64_t last_validated_ = -1;
  data::DataPosition position_;  // data consumed by the updates done so far
  int64_t batches_per_epoch_ = 0;
  // Early stopping on training.early_stopping.metric.
  double best_ = 0;
  bool has_best_ = false;
  int64_t bad_ = 0;
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
  ensure_dir(ckpt_dir_);
  const std::string last = ckpt_dir_ + "/last.pt";
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
    valid_src_ = data::read_lines(config_.data.valid.src);
    valid_ref_ = data::read_lines(config_.data.valid.tgt);
  } else {
    NMT_WARN("train", "no data.valid: no validation, early stopping or best checkpoint");
  }

  torch::manual_seed(static_cast<uint64_t>(t_.seed));
  model_ = model::make_model(config_, data_.vocabs.src.size(), data_.vocabs.tgt.size());
  model_->to(device_);
  optimizer_ = make_optimizer(t_, model_->parameters());
  data::BatcherOptions bo;
  bo.batch_tokens = t_.batch_tokens;
  bo.seed = static_cast<uint64_t>(t_.seed);
  batcher_.emplace(*data_.train, bo);
  batches_per_epoch_ = static_cast<int64_t>(batcher_->epoch_plan(1).size());
  metrics_.emplace(config_.model_dir + "/metrics.jsonl");

  int64_t params = 0;
  for (const auto& p : model_->parameters()) params += p.numel();
  NMT_INFO("train", "{} model, {:.2f}M parameters, on {}; {} threads", config_.model.type, params / 1e6,
           device_.str(), options_.threads);
  NMT_INFO("train", "{} training pairs, {} batches of <= {} target tokens per epoch", data_.train->size(),
           batches_per_epoch_, t_.batch_tokens);
  if (options_.resume) resume();
}

void Trainer::resume() {
  const std::string path = ckpt_dir_ + "/last.pt";
  json m;
  try {
    m = json::parse(load_checkpoint(path, *model_, optimizer_.get()));
    step_ = m.at("step").get<int64_t>();
    position_ = {m.at("epoch").get<int64_t>(), m.at("batch").get<int64_t>()};
    const auto& s = m.at("schedule");
    schedule_.restore({s.at("scale").get<double>(), s.at("best").get<double>(), s.at("has_best").get<bool>(),
                       s.at("bad").get<int64_t>()});
    const auto& e = m.at("early_stopping");
    best_ = e.at("best").get<double>();
    has_best_ = e.at("has_best").get<bool>();
    bad_ = e.at("bad").get<int64_t>();
    elapsed_before_ = m.at("elapsed_s").get<double>();
    restore_rng(m.at("rng"), device_);
  } catch (const json::exception& e) {
    throw CheckpointError("checkpoint '" + path + "' has a damaged record: " + e.what());
  }
  batcher_->seek(position_);
  last_validated_ = step_;
  NMT_INFO("train", "resumed from {} at step {} (epoch {}, batch {})", path, step_, position_.epoch,
           position_.batch);
}

json Trainer::meta() const {
  const auto& s = schedule_.state();
  return {{"step", step_},
          {"epoch", position_.epoch},
          {"batch", position_.batch},
          {"model_type", config_.model.type},
          {"schedule", {{"scale", s.scale}, {"best", s.best}, {"has_best", s.has_best}, {"bad", s.bad}}},
          {"early_stopping", {{"metric", t_.early_stopping.metric}, {"best", best_}, {"has_best", has_best_}, {"bad", bad_}}},
          {"elapsed_s", elapsed_before_ + seconds_since(start_)},
          {"rng", rng_state(device_)}};
}

double Trainer::train_step(const data::Batch& batch) {
  set_lr(*optimizer_, schedule_.lr(step_));
  const auto r = train::train_step(*model_, *optimizer_, batch, t_, device_);
  if (!std::isfinite(r.loss)) {
    throw std::runtime_error(fmt::format("training diverged at step {}: loss is {}; lower training.lr or raise "
                                         "training.warmup", step_, r.loss));
  }
  win_loss_ += r.loss * static_cast<double>(r.tokens);
  win_nll_ += r.nll;
  win_norm_ += r.grad_norm;
  win_tokens_ += r.tokens;
  win_sents_ += batch.src.size(0);
  ++win_steps_;
  return r.loss;
}

int64_t Trainer::planned_steps() const {
  int64_t total = 0;
  if (t_.max_epochs > 0) total = t_.max_epochs * batches_per_epoch_;
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

Validation Trainer::validate() {
  torch::NoGradGuard no_grad;
  model_->eval();
  Validation v;
  double nll = 0;
  int64_t tokens = 0;
  data::BatcherOptions bo;
  bo.batch_tokens = t_.batch_tokens;
  bo.shuffle = false;
  const data::Batcher batches(*data_.valid, bo);
  for (const auto& ids : batches.epoch_plan(1)) {
    const auto b = data::collate(*data_.valid, ids);
    const auto logits = model_->forward(b.src.to(device_), b.src_mask.to(device_), b.tgt_in.to(device_));
    const auto out = label_smoothed_nll(logits, b.tgt_out.to(device_), 0.0);
    nll += out.nll.item<double>();
    tokens += out.tokens;
  }
  v.nll = nll / static_cast<double>(std::max<int64_t>(1, tokens));
  // Dev BLEU and chrF: the same translation and scoring as `nmt eval --model`.
  search::Translator translator(*model_, data_.vocabs, search::SearchOptions::from_config(config_.decoding), device_);
  std::vector<std::string> hyps;
  for (auto& nbest : translator.translate(valid_src_)) hyps.push_back(std::move(nbest.front().text));
  v.bleu = eval::corpus_bleu(hyps, {valid_ref_}).score;
  v.chrf = eval::corpus_chrf(hyps, {valid_ref_}).score;
  return v;
}

bool Trainer::validate_and_save() {
  last_validated_ = step_;
  if (!data_.valid) {
    save(false, true);
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Validation v = validate();
  const double secs = seconds_since(t0);
  valid_seconds_ += secs;
  const auto& es = t_.early_stopping;
  const bool higher = es.metric != "loss";
  const double value = v.metric(es.metric);
  schedule_.on_validation(value, higher);
  const bool improved = !has_best_ || (higher ? value > best_ : value < best_);
  if (improved) {
    best_ = value;
    has_best_ = true;
    bad_ = 0;
  } else {
    ++bad_;
  }
  // Validation time does not count against training throughput.
  win_start_ += std::chrono::steady_clock::now() - t0;
  metrics_->write({{"event", "valid"}, {"step", step_}, {"epoch", position_.epoch}, {"nll", v.nll},
                   {"ppl", std::exp(v.nll)}, {"bleu", v.bleu}, {"chrf", v.chrf}, {"best", improved},
                   {"seconds", secs}, {"elapsed_s", elapsed_before_ + seconds_since(start_)}});
  progress_.clear();
  NMT_INFO("valid", "step {} nll {:.4f} ppl {:.2f} BLEU {:.2f} chrF {:.2f} ({:.1f}s){}", step_, v.nll,
           std::exp(v.nll), v.bleu, v.chrf, secs,
           improved ? fmt::format(", new best {}", es.metric)
                    : fmt::format(", {} validations without improvement", bad_));
  save(improved, true);
  return es.patience > 0 && bad_ >= es.patience;
}

void Trainer::save(bool improved, bool numbered) {
  const std::string record = meta().dump();
  const std::string last = ckpt_dir_ + "/last.pt";
  if (numbered && t_.keep_checkpoints > 0) {
    const std::string path = fmt::format("{}/step-{}.pt", ckpt_dir_, step_);
    save_checkpoint(path, *model_, optimizer_.get(), record);
    link_atomic(path, last);
    prune_checkpoints(ckpt_dir_, t_.keep_checkpoints);
  } else {
    save_checkpoint(last, *model_, optimizer_.get(), record);
  }
  // best.pt serves translation: the weights without the optimizer, a third of
  // the size. Without validation, the newest weights are the best known.
  if (improved || !data_.valid) save_checkpoint(ckpt_dir_ + "/best.pt", *model_, nullptr, record);
}

TrainSummary Trainer::run() {
  if (config_.model_dir.empty()) throw ConfigError("config key model_dir is required");
  ensure_dir(config_.model_dir);
  const log::FileLog file_log(config_.model_dir + "/train.log");
  SignalGuard signals;
  setup();
  start_ = win_start_ = std::chrono::steady_clock::now();
  TrainSummary summary;
  const int64_t total = planned_steps();
  while (true) {
    if (g_stop.load()) {
      summary.stop_reason = "interrupted";
      break;
    }
    if (t_.max_steps > 0 && step_ >= t_.max_steps) {
      summary.stop_reason = "max_steps";
      break;
    }
    auto ids = batcher_->next_indices();
    if (t_.max_epochs > 0 && batcher_->position().epoch > t_.max_epochs) {
      summary.stop_reason = "max_epochs";
      break;
    }
    const auto batch = data::collate(*data_.train, ids);
    ++step_;
    train_step(batch);
    position_ = batcher_->position();
    if (step_ % t_.log_every == 0) log_window();
    if (options_.live_progress) {
      const double frac = total > 0 ? static_cast<double>(step_) / static_cast<double>(total)
                                    : static_cast<double>(position_.batch) / static_cast<double>(batches_per_epoch_);
      progress_.draw(fmt::format("epoch {} step {}{} {} {:.1f}k tok/s", position_.epoch, step_,
                                 total > 0 ? fmt::format("/{}", total) : "", bar(frac, 30), tok_per_s_ / 1000));
    }
    if (step_ % t_.valid_every == 0 && validate_and_save()) {
      summary.stop_reason = "early_stopping";
      break;
    }
  }
  progress_.clear();
  if (summary.stop_reason == "interrupted") {
    save(false, false);
    NMT_INFO("train", "interrupted at step {}: saved {}/last.pt; continue with --resume", step_, ckpt_dir_);
  } else if (step_ != last_validated_ && step_ > 0) {
    validate_and_save();
  }
  metrics_->write({{"event", "end"}, {"step", step_}, {"reason", summary.stop_reason},
                   {"elapsed_s", elapsed_before_ + seconds_since(start_)}});
  NMT_INFO("train", "stopped ({}) at step {}, epoch {}, after {}{}", summary.stop_reason, step_, position_.epoch,
           human_duration(seconds_since(start_)),
           has_best_ ? fmt::format("; best {} {:.4g}", t_.early_stopping.metric, best_) : "");
  summary.steps = step_;
  summary.epoch = position_.epoch;
  summary.best_metric = has_best_ ? best_ : std::numeric_limits<double>::quiet_NaN();
  return summary;
}

}  // namespace

TrainSummary train(const Config& config, const TrainOptions& options) { return Trainer(config, options).run(); }

void request_stop() { g_stop.store(true); }

}  // namespace nmt::train
