#include "nmt/train/distributed.h"

#include <net/if.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>
#ifdef NMT_HAVE_C10D
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

#include "nmt/common/environment.h"
#include "nmt/common/error.h"
#include "nmt/common/error_line.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"

namespace nmt::train {
namespace {

constexpr int kDefaultMasterPort = 29500;  // c10d's, as torchrun's

// MASTER_ADDR, checked before c10d retries it for dist_timeout: a host name
// (letters, digits, '-', '_' and '.'), or an IPv4 or IPv6 address.
std::string host_name(const std::string& text) {
  constexpr std::size_t kMaxHostName = 253;  // RFC 1035's, in dotted form
  if (text.size() > kMaxHostName ||
      text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:[]%") !=
          std::string::npos) {
    throw ConfigError(env::assignment(env::kMasterAddr, text) + ": not a host name or an IP address");
  }
  return text;
}

}  // namespace

RankInfo RankInfo::from(const env::Environment& environment) {
  const auto get = [&](const env::Variable& v) { return env::get(environment, v); };
  const auto number = [&](const env::Variable& v) { return static_cast<int>(env::whole_number(v, *get(v))); };
  // torchrun's variables and nmt's are checked wherever set, used or not; Slurm sets its own in
  // every job step (SLURM_NTASKS_PER_NODE may read "2(x3)"), and they are checked where used.
  for (const env::Variable* v : env::kVariables) {
    if (!get(*v) || v->name.rfind("SLURM_", 0) == 0) continue;
    if (v->kind == env::Kind::whole_number) env::whole_number(*v, *get(*v));
    if (v->kind == env::Kind::choice) env::choice(*v, *get(*v));
  }
  RankInfo who;
  const env::Variable *world_var = &env::kWorldSize, *rank_var = &env::kRank, *local_var = &env::kLocalRank;
  if (!get(env::kWorldSize) && get(env::kSlurmNtasks) && get(env::kSlurmProcid)) {
    world_var = &env::kSlurmNtasks, rank_var = &env::kSlurmProcid, local_var = &env::kSlurmLocalid;
  }
  const auto world = get(*world_var);
  if (!world) {
    if (get(env::kRank)) throw ConfigError("RANK is set but WORLD_SIZE is not: set both, or neither");
    return who;
  }
  who.world_size = number(*world_var);
  if (!get(*rank_var) && who.world_size > 1) {  // a group of one has one rank, 0
    throw ConfigError(fmt::format("{}={} is set but {} is not: each process needs its rank", world_var->name,
                                  who.world_size, rank_var->name));
  }
  who.rank = get(*rank_var) ? number(*rank_var) : 0;
  if (who.rank >= who.world_size) {
    throw ConfigError(fmt::format("{}={} is out of range for {}={} (ranks 0 to {})", rank_var->name, who.rank,
                                  world_var->name, who.world_size, who.world_size - 1));
  }
  who.local_rank = get(*local_var) ? number(*local_var) : 0;
  const auto addr = get(env::kMasterAddr);
  if (who.world_size == 1 && !addr) return who;  // one process, no group
  if (!addr) {
    throw ConfigError(fmt::format("{}={} but MASTER_ADDR is not set: export the address of rank 0's host",
                                  world_var->name, who.world_size));
  }
  who.master_addr = host_name(*addr);
  who.master_port = get(env::kMasterPort) ? number(env::kMasterPort) : kDefaultMasterPort;
  const env::Variable& local_size = get(env::kLocalWorldSize) ? env::kLocalWorldSize : env::kSlurmPerNode;
  if (get(local_size)) who.local_world_size = number(local_size);
  const auto agent = get(env::kAgentStore);
  who.launcher_store = agent && env::choice(env::kAgentStore, *agent) == "True";
  if (get(env::kRestartCount)) who.restart_count = number(env::kRestartCount);
  if (get(env::kLauncherPid)) who.under_nproc = number(env::kLauncherPid) == ::getppid();
  if (const auto ifname = get(env::kGlooInterface); ifname && ::if_nametoindex(ifname->c_str()) == 0) {
    throw ConfigError(env::assignment(env::kGlooInterface, *ifname) +
                      ": this host has no network interface of that name");
  }
  return who;
}

RankInfo RankInfo::from_environment() { return from(env::current()); }

torch::Device rank_device(torch::Device device, const RankInfo& who) {
  if (!device.is_cuda() || !who.distributed()) return device;
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  if (who.local_rank >= gpus) {
    throw ConfigError(fmt::format("LOCAL_RANK={} trains on GPU {}, and this host has {}: start one rank per GPU, or "
                                  "train on the CPU (--device cpu)",
                                  who.local_rank, who.local_rank, gpus));
  }
  return torch::Device(torch::kCUDA, static_cast<int8_t>(who.local_rank));
}

std::chrono::milliseconds dist_timeout(const TrainingConfig& training) {
  return std::chrono::milliseconds(static_cast<int64_t>(parse_duration(training.dist_timeout) * 1000));
}

namespace {

// Why this build cannot sum gradients over ranks on `device`; empty where it can.
std::string missing_backend(const torch::Device& device) {
#ifndef USE_C10D_NCCL
  if (device.is_cuda()) {
    return "needs NCCL, and this nmt was built without NCCL's headers (nccl.h: Debian's libnccl-dev, pip's "
           "nvidia-nccl-cu12); install them and rebuild";
  }
#endif
#ifndef USE_C10D_GLOO
  if (!device.is_cuda()) {
    return "needs Gloo, and this nmt was built without Gloo's headers (Debian: libgloo-dev); install them and rebuild";
  }
#endif
  return {};
}

}  // namespace

#ifdef NMT_HAVE_C10D

namespace {

// LibTorch 2 splits the process group into a front and per-device backends;
// the collectives nmt calls are the backend's there and the group's in 1.13.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

// The message of a c10d error, without the C++ backtrace LibTorch appends.
std::string first_line(const std::exception& e) {
  std::string s = e.what();
  const auto nl = s.find('\n');
  if (nl != std::string::npos) s.erase(nl);
  return s;
}

#ifdef USE_C10D_GLOO
bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

// Drops what is written to std::cerr while it lives (its failures are exceptions).
class QuietCerr {
 public:
  QuietCerr() : saved_(std::cerr.rdbuf(nullptr)) {}
  ~QuietCerr() { std::cerr.rdbuf(saved_); }
  QuietCerr(const QuietCerr&) = delete;
  QuietCerr& operator=(const QuietCerr&) = delete;

 private:
  std::streambuf* saved_;
};
#endif

// LibTorch 2.4 and later ask for TCPStore's libuv backend by default, which
// builds without libuv (Debian's among them) refuse: the sockets backend every
// version has serves a few hundred ranks well. A template: where the option does
// not exist, the branch that sets it is discarded instead of compiled.
template <typename Options>
void use_sockets_backend(Options& options) {
  if constexpr (requires { options.useLibUV; }) options.useLibUV = false;
}

c10d::TCPStoreOptions store_options(int port, bool server, int workers, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = server;
  options.numWorkers = workers;
  options.waitWorkers = false;  // the process group's own rendezvous waits for them
  options.timeout = timeout;
  use_sockets_backend(options);
  return options;
}

// Ends the process with one line when what it guards outlives `after`: c10d's
// TCPStore client honours no timeout once a peer stops in the middle of a
// message it claims is long, and would wait for the rest for ever.
class Deadline {
 public:
  Deadline(std::chrono::milliseconds after, std::string message)
      : message_(std::move(message)), thread_([this, after] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (cv_.wait_for(lock, after, [this] { return done_; })) return;
          remove_temporaries_in_flight();
          print_error_line(message_);
          std::_Exit(kExitRuntime);
        }) {}
  ~Deadline() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string message_;
  std::thread thread_;  // last: it starts once the members above exist
};

// Adds the seconds of its life to `total`.
class Stopwatch {
 public:
  explicit Stopwatch(double& total) : total_(total), t0_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

 private:
  double& total_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

struct ProcessGroup::Pending {
  c10::intrusive_ptr<c10d::Work> work;
  std::vector<at::Tensor> tensors;
};

struct ProcessGroup::Impl {
  // First, so that it is destroyed last: a failed rendezvous destroys the
  // store, whose destructor joins a c10d thread that may wait for ever.
  std::unique_ptr<Deadline> rendezvous;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> collectives;
  std::string backend;
};

ProcessGroup::ProcessGroup(const RankInfo& who, torch::Device device, std::chrono::milliseconds timeout)
    : who_(who), device_(device), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  if (const auto why = missing_backend(device); !why.empty()) {
    throw ConfigError("data-parallel training on " + device.str() + " " + why);
  }
  const std::string where = fmt::format("{}:{} (MASTER_ADDR:MASTER_PORT)", who.master_addr, who.master_port);
  const auto start = std::chrono::steady_clock::now();
  // That a rendezvous step did not happen (`what`: "no rendezvous at"), after how long, and why.
  const auto failed = [&](const std::string& what, const std::exception& e) {
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return SystemError(fmt::format("rank {}: {} {} after {:.0f}s (training.dist_timeout is {}s): {}", who.rank, what,
                                   where, waited, static_cast<double>(timeout.count()) / 1000.0, first_line(e)));
  };
  // A c10d thread that reads bytes which are not its protocol throws where nothing can catch it.
  const FailureHint hint(fmt::format("rank {}: the rendezvous peer at {} answered with bytes that are not c10d's "
                                     "protocol; is another program listening on that port?",
                                     who.rank, where));
  NMT_INFO("dist", "rank {}: waiting up to {}s (training.dist_timeout) for the {} ranks to meet at {}", who.rank,
           timeout.count() / 1000.0, who.world_size, where);
  constexpr std::chrono::seconds kGrace{10};  // beyond c10d's own timeouts, which report themselves
  impl_->rendezvous = std::make_unique<Deadline>(timeout + kGrace,
                          fmt::format("rank {}: no rendezvous at {} after {}s (training.dist_timeout is {}s, and the "
                                      "peer there stopped in the middle of an answer: is another program listening "
                                      "on that port?)",
                                      who.rank, where, static_cast<double>((timeout + kGrace).count()) / 1000.0,
                                      static_cast<double>(timeout.count()) / 1000.0));
  try {
    auto tcp = c10::make_intrusive<c10d::TCPStore>(
        who.master_addr, store_options(who.master_port, !who.launcher_store && who.rank == 0, who.world_size, timeout));
    // torchrun's agent keeps one prefix per restart attempt.
    impl_->store = who.launcher_store
                       ? c10::static_intrusive_pointer_cast<c10d::Store>(c10::make_intrusive<c10d::PrefixStore>(
                             "/worker/attempt_" + std::to_string(who.restart_count), tcp))
                       : c10::static_intrusive_pointer_cast<c10d::Store>(tcp);
  } catch (const std::exception& e) {
    throw failed("no rendezvous at", e);
  }
  try {
#ifdef USE_C10D_NCCL
    if (device.is_cuda()) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      impl_->collectives = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, who.rank, who.world_size, options);
      impl_->backend = "nccl";
      impl_->rendezvous.reset();
      return;
    }
#endif
#ifdef USE_C10D_GLOO
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const auto ifname = env::get(env::kGlooInterface)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*ifname));
    } else if (is_loopback(who.master_addr)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    {
      // Gloo 2025 writes a line to std::cerr for every peer it connects to;
      // what nmt needs to say about the group, it says in its own log.
      const QuietCerr quiet;
      impl_->collectives = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, who.rank, who.world_size, options);
    }
    impl_->backend = "gloo";
#endif
    impl_->rendezvous.reset();
  } catch (const std::exception& e) {
    throw failed(fmt::format("the {} ranks did not all join through", who.world_size), e);
  }
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::backend() const { return impl_->backend; }

void ProcessGroup::fail(const std::string& what, const std::exception& e) {
  // Each rank that is still here says so in the store; whoever has not after a
  // moment is the one that went away. Without the store, its host did.
  std::string silent;
  try {
    impl_->store->set(fmt::format("nmt/alive/{}", who_.rank), std::vector<uint8_t>{1});
    const auto deadline =
        std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(3));
    std::vector<int> missing;
    do {
      missing.clear();
      for (int r = 0; r < who_.world_size; ++r) {
        if (!impl_->store->check({fmt::format("nmt/alive/{}", r)})) missing.push_back(r);
      }
      if (missing.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    for (const int r : missing) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    silent = missing.empty() ? "no rank is missing"
                             : fmt::format("rank{} {} stopped answering", missing.size() > 1 ? "s" : "", silent);
  } catch (const std::exception&) {
    silent = who_.launcher_store
                 ? fmt::format("the launcher's rendezvous store at {}:{} is gone", who_.master_addr, who_.master_port)
                 : "rank 0 stopped answering (its rendezvous store is gone)";
  }
  const std::string message = fmt::format("data-parallel training: {} while rank {} of {} was {}: {}", silent,
                                          who_.rank, who_.world_size, what, first_line(e));
  if (who_.under_nproc && silent.find("stopped answering") != std::string::npos) throw AnotherRankFailed(message);
  throw SystemError(message);
}

std::vector<double> ProcessGroup::sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t{torch::tensor(values, torch::dtype(torch::kFloat64)).to(device_)};
  const Stopwatch watch(waited_);
  try {
    impl_->collectives->allreduce(t)->wait();
  } catch (const std::exception& e) {
    fail("summing over the ranks", e);
  }
  const auto cpu = t[0].cpu();
  return {cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel()};
}

std::vector<double> ProcessGroup::broadcast(const std::vector<double>& values) {
  std::vector<torch::Tensor> t{torch::tensor(values, torch::dtype(torch::kFloat64)).to(device_)};
  broadcast(t);
  const auto cpu = t[0].cpu();
  return {cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel()};
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  // One flat tensor per broadcast: the process group's list is one tensor per device.
  std::vector<at::Tensor> flat{torch::cat([&] {
    std::vector<torch::Tensor> parts;
    for (const auto& t : tensors) parts.push_back(t.reshape({-1}).to(torch::kFloat64));
    return parts;
  }())};
  const Stopwatch watch(waited_);
  try {
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    impl_->collectives->broadcast(flat, options)->wait();
  } catch (const std::exception& e) {
    fail("receiving rank 0's values", e);
  }
  int64_t offset = 0;
  for (auto& t : tensors) {
    t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

std::vector<std::string> ProcessGroup::gather(const std::string& bytes) {
  const int64_t call = gathers_++;
  const auto key = [&](int r) { return fmt::format("nmt/gather/{}/{}", call, r); };
  std::vector<std::string> all;
  try {
    if (who_.rank != 0) {
      impl_->store->set(key(who_.rank), std::vector<uint8_t>(bytes.begin(), bytes.end()));
      return all;
    }
    all.push_back(bytes);
    for (int r = 1; r < who_.world_size; ++r) {
      const auto v = impl_->store->get(key(r));
      all.emplace_back(v.begin(), v.end());
      impl_->store->deleteKey(key(r));
    }
  } catch (const std::exception& e) {
    fail("gathering the ranks' random states", e);
  }
  return all;
}

std::shared_ptr<ProcessGroup::Pending> ProcessGroup::start_sum(torch::Tensor tensor) {
  auto p = std::make_shared<Pending>();
  p->tensors = {std::move(tensor)};
  try {
    p->work = impl_->collectives->allreduce(p->tensors);
  } catch (const std::exception& e) {
    fail("summing gradients", e);
  }
  return p;
}

void ProcessGroup::wait(Pending& pending) {
  const Stopwatch watch(waited_);
  try {
    pending.work->wait();
  } catch (const std::exception& e) {
    fail("summing gradients", e);
  }
}

// --- GradientBuckets --------------------------------------------------------

struct GradientBuckets::Bucket {
  torch::Tensor flat;                          // every gradient of the bucket, end to end
  std::vector<std::size_t> params;             // indices into params_
  std::size_t waiting = 0;                     // gradients of the current backward still to come
  std::shared_ptr<ProcessGroup::Pending> sum;  // started, not yet waited for
};

namespace {

// Runs `ready` after a parameter's AccumulateGrad node has added its gradient.
struct GradientReady : torch::autograd::FunctionPostHook {
  explicit GradientReady(std::function<void()> ready) : ready_(std::move(ready)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    ready_();
    return outputs;
  }
  std::function<void()> ready_;
};

}  // namespace

GradientBuckets::GradientBuckets(const std::vector<torch::Tensor>& params, ProcessGroup& group)
    : group_(group), params_(params), bucket_of_(params.size()) {
  torch::NoGradGuard no_grad;
  group_.broadcast(params_);
  // Backward reaches the parameters roughly in reverse order of registration.
  int64_t cap = kFirstBucketBytes, bytes = 0;
  for (std::size_t k = params_.size(); k-- > 0;) {
    const auto& p = params_[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !buckets_.empty() && bytes + size <= cap &&
                      params_[buckets_.back().params.front()].options().type_equal(p.options());
    if (!fits) {
      if (!buckets_.empty()) cap = kBucketBytes;
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().params.push_back(k);
    bucket_of_[k] = buckets_.size() - 1;
    bytes += size;
  }
  for (auto& b : buckets_) {
    int64_t numel = 0;
    for (const auto k : b.params) numel += params_[k].numel();
    b.flat = torch::zeros({numel}, params_[b.params.front()].options());
    int64_t offset = 0;
    for (const auto k : b.params) {
      params_[k].mutable_grad() = b.flat.narrow(0, offset, params_[k].numel()).view(params_[k].sizes());
      offset += params_[k].numel();
    }
    b.waiting = b.params.size();
  }
  for (std::size_t k = 0; k < params_.size(); ++k) {
    auto node = torch::autograd::impl::grad_accumulator(params_[k]);
    node->add_post_hook(std::make_unique<GradientReady>([this, k] { on_gradient(k); }));
    // Kept alive type-erased: LibTorch 2.14 hands out an intrusive_ptr here, earlier ones a shared_ptr.
    void* raw = node.get();
    accumulators_.emplace_back(raw, [node = std::move(node)](void*) {});
  }
}

GradientBuckets::~GradientBuckets() = default;

int64_t GradientBuckets::buckets() const { return static_cast<int64_t>(buckets_.size()); }

void GradientBuckets::zero() {
  for (auto& b : buckets_) b.flat.zero_();
}

void GradientBuckets::sync_next_backward(bool sync) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = sync;
}

void GradientBuckets::on_gradient(std::size_t param) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) return;
  Bucket& b = buckets_[bucket_of_[param]];
  if (b.waiting > 0) --b.waiting;
  // Sums start in bucket order on every rank, whatever order backward finished them in.
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].waiting == 0) {
    buckets_[next_bucket_].sum = group_.start_sum(buckets_[next_bucket_].flat);
    ++next_bucket_;
  }
}

void GradientBuckets::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  // A parameter that backward did not reach adds zeros.
  for (; next_bucket_ < buckets_.size(); ++next_bucket_) {
    buckets_[next_bucket_].sum = group_.start_sum(buckets_[next_bucket_].flat);
  }
  for (auto& b : buckets_) {
    if (b.sum) group_.wait(*b.sum);
    b.sum.reset();
    b.waiting = b.params.size();
    for (const auto k : b.params) {
      // Backward adds into the views; anything that replaced one would leave it out of the sums.
      TORCH_CHECK(params_[k].grad().is_alias_of(b.flat), "parameter ", k, "'s gradient is no longer its bucket's view");
    }
  }
  next_bucket_ = 0;
  sync_ = false;
}

// --- run_local_ranks ---------------------------------------------------------

namespace {

std::vector<pid_t> g_ranks;  // for the signal handler
volatile sig_atomic_t g_launcher_signal = 0;  // the first the launcher had

extern "C" void pass_signal_on(int sig) {
  if (g_launcher_signal == 0) g_launcher_signal = sig;
  // A terminal's Ctrl-C reaches the ranks too: each handles SIGINT and SIGTERM once.
  for (const pid_t pid : g_ranks) {
    if (pid > 0) ::kill(pid, SIGTERM);  // -1 marks a rank that has exited (and kill(-1) would reach every process)
  }
}

// This process's command line, less --nproc and its value.
std::vector<std::string> own_arguments_without_nproc() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;
    } else if (args[i].rfind("--nproc=", 0) != 0) {
      kept.push_back(args[i]);
    }
  }
  return kept;
}

std::string describe(int rank, int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("rank {} was killed by signal {} ({})", rank, WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return fmt::format("rank {} exited with status {}", rank, WEXITSTATUS(status));
}

}  // namespace

int run_local_ranks(int nproc, std::chrono::milliseconds timeout) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (nproc > cores) {
    throw ConfigError(fmt::format("--nproc {}: this machine has {} cores; one rank needs at least one", nproc, cores));
  }
  // Port 0: any free one.
  const auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", store_options(0, true, nproc, timeout));
  const std::vector<std::string> args = own_arguments_without_nproc();
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  for (int rank = 0; rank < nproc; ++rank) {
    // The environment is built before fork: between fork and exec only async-signal-safe calls.
    env::Environment vars = env::current();
    // What torchrun sets for its workers, this process serving the store.
    for (const auto& [var, value] : std::vector<std::pair<const env::Variable*, std::string>>{
             {&env::kWorldSize, std::to_string(nproc)},
             {&env::kRank, std::to_string(rank)},
             {&env::kLocalRank, std::to_string(rank)},
             {&env::kLocalWorldSize, std::to_string(nproc)},
             {&env::kMasterAddr, "127.0.0.1"},
             {&env::kMasterPort, std::to_string(store->getPort())},
             {&env::kAgentStore, "True"},
             {&env::kRestartCount, "0"},
             {&env::kLauncherPid, std::to_string(::getpid())}}) {
      vars[std::string(var->name)] = value;
    }
    std::vector<std::string> lines;
    for (const auto& [k, v] : vars) lines.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& l : lines) envp.push_back(l.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw SystemError(fmt::format("--nproc: cannot start rank {}: {}", rank, std::strerror(errno)));
    if (pid == 0) {
      ::execve("/proc/self/exe", argv.data(), envp.data());
      ::_exit(127);
    }
    g_ranks.push_back(pid);
  }
  struct sigaction sa {};
  sa.sa_handler = pass_signal_on;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  int result = 0;
  std::string killed;
  std::optional<std::chrono::steady_clock::time_point> deadline;  // set by the first failure
  for (std::size_t left = g_ranks.size(); left > 0;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, deadline ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == 0) {  // failed before: the others get dist_timeout to notice, and a moment more
      if (std::chrono::steady_clock::now() > *deadline + std::chrono::seconds(5)) {
        for (const pid_t p : g_ranks) {
          if (p > 0) ::kill(p, SIGKILL);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const int rank = static_cast<int>(std::find(g_ranks.begin(), g_ranks.end(), pid) - g_ranks.begin());
    if (rank >= static_cast<int>(g_ranks.size())) continue;
    --left;
    g_ranks[static_cast<std::size_t>(rank)] = -1;  // not signalled again
    if (status == 0) continue;
    if (WIFSIGNALED(status) && killed.empty()) killed = describe(rank, status);
    // The status of the rank that failed first and said why, not of one that only lost it.
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitRuntime;
    if (result == 0 || (result == kExitAfterAnotherRank && code != kExitAfterAnotherRank)) result = code;
    if (!deadline) deadline = std::chrono::steady_clock::now() + timeout;
  }
  g_ranks.clear();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!killed.empty()) throw SystemError("nmt train --nproc: " + killed);
  if (result == kExitAfterAnotherRank) {
    throw SystemError("nmt train --nproc: each rank that failed lost another, and none said why");
  }
  // Ranks that stopped when asked (they had SIGTERM from here): the status of the signal the launcher had.
  const bool stopped = result == 128 + SIGINT || result == 128 + SIGTERM;
  if (stopped && g_launcher_signal != 0) result = 128 + g_launcher_signal;
  return result;
}

#else  // built without Gloo's or NCCL's headers: no process group can be made

struct ProcessGroup::Pending {};
struct ProcessGroup::Impl {};
struct GradientBuckets::Bucket {};

ProcessGroup::ProcessGroup(const RankInfo& who, torch::Device device, std::chrono::milliseconds timeout)
    : who_(who), device_(device), timeout_(timeout) {
  throw ConfigError(fmt::format("WORLD_SIZE={}: data-parallel training on {} {}", who.world_size, device.str(),
                                missing_backend(device)));
}
ProcessGroup::~ProcessGroup() = default;
GradientBuckets::~GradientBuckets() = default;
int64_t GradientBuckets::buckets() const { return 0; }
// Nothing below is reached: no ProcessGroup exists.
std::string ProcessGroup::backend() const { return {}; }
std::vector<double> ProcessGroup::sum(const std::vector<double>& values) { return values; }
std::vector<double> ProcessGroup::broadcast(const std::vector<double>& values) { return values; }
void ProcessGroup::broadcast(std::vector<torch::Tensor>&) {}
std::vector<std::string> ProcessGroup::gather(const std::string& bytes) { return {bytes}; }
GradientBuckets::GradientBuckets(const std::vector<torch::Tensor>&, ProcessGroup& group) : group_(group) {}
void GradientBuckets::zero() {}
void GradientBuckets::sync_next_backward(bool) {}
void GradientBuckets::finish() {}
int run_local_ranks(int nproc, std::chrono::milliseconds) {
  throw ConfigError(
      fmt::format("--nproc {}: data-parallel training {}", nproc, missing_backend(torch::kCPU)));
}

#endif  // NMT_HAVE_C10D

}  // namespace nmt::train
