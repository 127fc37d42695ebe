// Faults: output that cannot be written, full and failing disks, size limits,
// two writers, kills at random moments and numerical blow-ups. A runtime
// failure is exit 1 and one line naming the file; the last good checkpoint
// survives every one of them.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "../test_util.h"
#include "harness.h"
#include "nmt/common/fs.h"
#include "nmt/model/load.h"

namespace nmt::robustness {
namespace {

// Resumes the copy of $M (20 steps) to step 25, which writes checkpoints/step-25.pt.
const std::string kResume = "$NMT -q train --resume -c $CFG --set training.max_steps=25";
// 30,000 lines to translate, enough to be killed or cut off in the middle.
const std::string kMany = "yes 'the boys are reading .' | head -n 30000 >many; ";

TEST(Robustness, OutputThatCannotBeWritten) {
  const std::string kind = "Output that cannot be written";
  const std::vector<Case> cases = {
      {kind, "stdout on a full disk", "echo a | $NMT -q translate -m $M >/dev/full", 1,
       "cannot write to standard output: No space left on device"},
      {kind, "stdout closed", "echo a | $NMT -q translate -m $M >&-", 1,
       "cannot write to standard output: Bad file descriptor"},
      {kind, "eval's stdout on a full disk", "echo a | $NMT eval -r ref >/dev/full", 1,
       "cannot write to standard output", "echo a >ref"},
  };
  for (const auto& c : cases) run_case(c);

  // A reader that stops early ends the writer quietly, as it ends `yes`.
  test::TempDir d;
  run_bash(kMany, d.str());
  const std::string pipe = "$NMT -q translate --threads 1 -m $M <many | head -n 1 >/dev/null; exit ${PIPESTATUS[0]}";
  const auto r = run_bash(pipe, d.str());
  EXPECT_TRUE(r.code == 0 || r.code == 141) << r.code;
  EXPECT_EQ(r.err, "");
  record(kind, "a reader that goes away (`| head -n 1`)", pipe,
         "exit " + std::to_string(r.code) + ", nothing on stderr (SIGPIPE's status, as `yes \\| head` gives)",
         "nothing");

  // Killed while it writes, it leaves whole lines only.
  const std::string kill =
      "$NMT -q translate --threads 1 -m $M <many >out & until [ -s out ]; do sleep 0.05; done; kill -KILL $!; wait $!";
  const auto k = run_bash(kill, d.str());
  const std::string out = test::slurp(d / "out");
  EXPECT_EQ(k.code, 128 + SIGKILL);
  EXPECT_TRUE(out.empty() || out.back() == '\n') << out.substr(out.size() > 80 ? out.size() - 80 : 0);
  record(kind, "translate killed with SIGKILL mid-stream", kill,
         "killed after " + std::to_string(test::count_lines(out)) + " of 30000 lines",
         "nothing: the output ends with a whole line");
}

bool can_mount_small_disk() { return std::system("unshare -rm true >/dev/null 2>&1") == 0; }

TEST(Robustness, DiskFaultsAndLimits) {
  const std::string kind = "Disk faults and limits";
  // The model directory on the small disk is compared after the run with what it held before.
  const auto intact = [](const Outcome&, const std::string& d) {
    const auto lost = damage(snapshot(d + "/m"), snapshot(d + "/m.after"));
    EXPECT_TRUE(lost.empty()) << testing::PrintToString(lost);
  };
  std::vector<Case> cases = {
      {kind, "EIO while writing a checkpoint", "LD_PRELOAD=$FAULT NMT_FAULT_PATH=step-25.pt " + kResume, 1,
       "cannot write '$D/m/checkpoints/step-25.pt': Input/output error", kCopyModel},
      {kind, "EIO while writing the training cache",
       "LD_PRELOAD=$FAULT NMT_FAULT_PATH=cache/train $NMT -q prepare -c $CFG", 1,
       "cannot write '$D/m/cache/train.bin': Input/output error", kCopyModel + "rm -r m/cache"},
      {kind, "EIO while appending to metrics.jsonl", "LD_PRELOAD=$FAULT NMT_FAULT_PATH=metrics.jsonl " + kResume, 1,
       "cannot write '$D/m/metrics.jsonl': Input/output error", kCopyModel},
      {kind, "EIO while appending to train.log", "LD_PRELOAD=$FAULT NMT_FAULT_PATH=train.log " + kResume, 1,
       "cannot write '$D/m/train.log': Input/output error", kCopyModel},
      {kind, "a file-size limit (SIGXFSZ) below a checkpoint's size", "ulimit -f 200; " + kResume, 1,
       "cannot write '$D/m/checkpoints/step-25.pt': File too large", kCopyModel},
  };
  if (can_mount_small_disk()) {
    cases.push_back({kind, "a full disk (100 KB free) when a checkpoint is written",
                     "$HERE/small_disk.sh $D/m 100 " + kResume, 1,
                     "cannot write '$D/m/checkpoints/step-25.pt': No space left on device", kCopyModel, false, intact});
    cases.push_back({kind, "a full disk (8 KB free) when the cache is written",
                     "$HERE/small_disk.sh $D/m 8 $NMT -q prepare -c $CFG", 1,
                     "cannot write '$D/m/cache/train.bin': No space left on device", kCopyModel + "rm -r m/cache",
                     false, intact});
  } else {
    ADD_FAILURE() << "cannot mount a small file system here (unshare -rm): the full-disk cases did not run";
  }
  for (const auto& c : cases) run_case(c);
}

TEST(Robustness, TwoWritersOnOneModelDirectory) {
  test::TempDir d;
  write_config(d.str(), d / "m", R"({"max_steps": 100000, "early_stopping": {"patience": 0}})");
  // A run that holds $D/m; a second train or prepare into it fails at once, naming its PID.
  const auto r =
      run_bash(kCopyModel +
                   "$NMT -q train --resume -c c.json 2>first.err & pid=$!; "
                   "for i in $(seq 600); do grep -q '\"step\": 25' m/metrics.jsonl && break; sleep 0.1; done; "
                   "$NMT train --resume -c c.json 2>second.err; a=$?; $NMT prepare -c c.json 2>third.err; b=$?; "
                   "echo $pid >pid; kill -KILL $pid; wait $pid; exit $((a * 10 + b))",
               d.str());
  EXPECT_EQ(r.code, 11) << r.err;
  const std::string pid = test::slurp(d / "pid").substr(0, test::slurp(d / "pid").find('\n'));
  for (const char* f : {"second.err", "third.err"}) {
    const std::string err = test::slurp(d / f);
    EXPECT_EQ(test::count_lines(err), 1) << err;
    EXPECT_NE(err.find("nmt: error: model_dir '"), std::string::npos) << err;
    EXPECT_NE(err.find("' is in use by another nmt (pid " + pid + ")"), std::string::npos) << err;
  }
  // Killed with SIGKILL, the first run still left every line it had logged in train.log.
  EXPECT_NE(test::slurp(d / "m/train.log").find("resumed from"), std::string::npos);
  const std::string kind = "Two writers on one model directory";
  record(kind, "a second `train` while one runs", "$NMT train --resume -c c.json",
         "exit 1: `nmt: error: model_dir '$D/m' is in use by another nmt (pid " + pid + ")`", "nothing");
  record(kind, "`prepare` while `train` runs", "$NMT prepare -c c.json", "exit 1: the same line", "nothing");
  record(kind, "the holder killed with SIGKILL", "kill -KILL $pid",
         "the lock went with it; train.log holds every line logged", "nothing");
}

// A program that is not c10d listens where a rank looks for its rendezvous:
// a listening socket in this process answers each connection with `payload`
// and then keeps it open, saying nothing more.
class NotARendezvous {
 public:
  explicit NotARendezvous(std::string payload) : payload_(std::move(payload)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] {
      std::vector<int> open;
      for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0;) {
        if (::write(c, payload_.data(), payload_.size()) < 0) ::close(c);
        else open.push_back(c);
      }
      for (const int c : open) ::close(c);
    });
  }
  ~NotARendezvous() {
    ::shutdown(fd_, SHUT_RDWR);  // ends accept()
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  std::string payload_;
  int fd_ = -1, port_ = 0;
  std::thread thread_;
};

TEST(Robustness, ARendezvousPeerThatIsNotC10d) {
  const std::string kind = "A rendezvous peer that is not c10d";
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  // c10d's answers start with a length: this one promises 3 GB, and sends none of it.
  const std::string promise("\0\0\0\0\xc0\0\0\0", 8);
  for (const auto& [fed, payload] : std::vector<std::pair<std::string, std::string>>{
           {"4 KiB of random bytes on MASTER_PORT", noise}, {"a length of 3 GB, then silence", promise}}) {
    const NotARendezvous peer(payload);
    Case c;
    c.kind = kind;
    c.fed = fed;
    c.command = "WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(peer.port()) +
                " timeout 120 $NMT -q train -c $CFG --set training.dist_timeout=5s";
    c.code = 1;
    c.message = "(MASTER_ADDR:MASTER_PORT)";
    c.show_memory = true;
    c.check = [](const Outcome& r, const std::string&) { EXPECT_LT(r.peak_rss_mb, 1500) << r.err; };
    run_case(c);
  }
}

TEST(Robustness, KilledAtRandomMomentsTrainingResumesFromAnIntactCheckpoint) {
  test::TempDir d;
  // A checkpoint every 2 updates, so that kills land in checkpoint writes too.
  write_config(d.str(), d / "m", R"({"max_steps": 60, "valid_every": 2, "early_stopping": {"patience": 0}})");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(300, 1500);
  const int kills = 6;
  for (int kill = 0; kill < kills; ++kill) {
    const bool resume = std::filesystem::exists(d / "m/checkpoints/last.pt");
    const auto r =
        run_bash("$NMT -q train --threads 1 " + std::string(resume ? "--resume " : "") + "-c c.json & " +
                     "pid=$!; sleep " + std::to_string(delay_ms(rng) / 1000.0) + "; kill -KILL $pid; wait $pid; exit 0",
                 d.str());
    ASSERT_EQ(r.code, 0) << r.err;
    if (std::filesystem::exists(d / "m/checkpoints/last.pt")) {
      EXPECT_NO_THROW(model::load_model(d / "m", "last", torch::kCPU)) << "after kill " << kill;
    }
  }
  const bool resume = std::filesystem::exists(d / "m/checkpoints/last.pt");
  const auto done = run_bash("$NMT train --threads 2 " + std::string(resume ? "--resume " : "") + "-c c.json", d.str());
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_NE(done.err.find("stopped (max_steps) at step 60"), std::string::npos) << done.err;
  // What the killed runs were writing is gone.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(d / "m")) {
    EXPECT_FALSE(is_temporary_name(entry.path().filename().string())) << entry.path();
  }
  record("Kills", std::to_string(kills) + " SIGKILLs at random moments (0.3-1.5 s), checkpoints every 2 updates",
         "$NMT train [--resume] -c c.json & sleep T; kill -KILL $!",
         "after each kill last.pt loads; `--resume` then ran to step 60",
         "nothing: no temporary file left, every checkpoint loads");
}

TEST(Robustness, NonFiniteUpdatesAreSkippedThenTrainingStopsWithTheLastGoodState) {
  test::TempDir d;
  // An absurd learning rate: the first update blows the weights up, every later loss is NaN.
  write_config(d.str(), d / "m", R"({"lr": 1e30, "max_bad_steps": 3})");
  const std::string command = "$NMT train --threads 2 -c c.json";
  const auto r = run_bash(command, d.str());
  EXPECT_EQ(r.code, 1) << r.err;
  const std::string error = "nmt: error: training diverged: 3 updates in a row up to step 4";
  EXPECT_NE(r.err.find(error), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("update skipped (1 in a row"), std::string::npos) << r.err;
  int skipped = 0;
  std::istringstream events(test::slurp(d / "m/metrics.jsonl"));
  for (std::string line; std::getline(events, line);) skipped += nlohmann::json::parse(line).at("event") == "skipped";
  EXPECT_EQ(skipped, 3);
  // The weights of step 1, the last update applied, are in last.pt and translate.
  const auto t = run_bash("echo 'the boys are reading .' | $NMT -q translate --checkpoint last -m m", d.str());
  EXPECT_EQ(t.code, 0) << t.err;
  record("Numerical faults", "training.lr 1e30 (every loss after the first update is NaN), training.max_bad_steps 3",
         command,
         "3 updates skipped and logged, then exit 1: `" + error + " had a NaN or infinite loss or gradient; …`",
         "nothing: last.pt holds the weights of step 1 and translates");
}

}  // namespace
}  // namespace nmt::robustness
