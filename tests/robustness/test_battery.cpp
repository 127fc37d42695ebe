// The hostile-file battery: every file input nmt reads, given each of the
// same seven bad files. The cases are generated, not written one by one: a
// table of inputs (how a verb reads the file, and a good file of its kind to
// damage) times a table of bad files (how to make each at a path). What each
// must give is stated beside the input, per bad file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"

namespace nmt::robustness {
namespace {

// A bad file, made at $P by bash.
struct BadFile {
  std::string name;   // in the report: "a FIFO"
  std::string make;   // bash that makes $P, given $GOOD (a good file of the kind)
};

// Seven kinds of bad file. The FIFO's writer sends a line that is no file
// format of nmt's, and gives up after 20 s if nmt never opens it.
const std::vector<BadFile>& bad_files() {
  static const std::vector<BadFile> files = {
      {"a path that does not exist", ":"},
      {"a directory", "mkdir -p \"$P\""},
      {"/dev/zero", "ln -s /dev/zero \"$P\""},
      {"/dev/urandom", "ln -s /dev/urandom \"$P\""},
      {"a FIFO", "mkfifo \"$P\"; (timeout 20 sh -c 'echo \"not a file of nmt\" >\"$0\"' \"$P\" >/dev/null 2>&1 &)"},
      {"a truncated file", "head -c $(( $(stat -c %s \"$GOOD\") / 2 )) \"$GOOD\" >\"$P\""},
      {"a file damaged in the middle",
       "cp \"$GOOD\" \"$P\"; printf '\\377\\376\\375\\374\\373\\372\\371\\370' | "
       "dd of=\"$P\" bs=1 seek=$(( $(stat -c %s \"$GOOD\") / 2 )) conv=notrunc status=none"},
  };
  return files;
}

constexpr int kNotFed = -1;

// One file input of one verb.
struct Input {
  std::string what;     // "a config (train -c)"
  std::string path;     // where the bad file goes ($P), relative to $D
  std::string good;     // a good file of the kind ($GOOD)
  std::string setup;    // bash before the bad file is made
  std::string command;  // reads $P
  std::string message;  // what the one line of a refusal names
  // The exit status for each of bad_files(), in their order: 2 the user's
  // input, 0 read as what it is (the FIFO's line translated); kNotFed where
  // the file cannot reach nmt this way.
  std::vector<int> codes;
};

void run_battery(const std::vector<Input>& inputs) {
  for (const Input& in : inputs) {
    ASSERT_EQ(in.codes.size(), bad_files().size()) << in.what;
    for (std::size_t k = 0; k < bad_files().size(); ++k) {
      const BadFile& bad = bad_files()[k];
      if (in.codes[k] == kNotFed) continue;
      Case c;
      c.kind = "Every file input, given each bad file";
      c.fed = in.what + ": " + bad.name;
      c.command = in.command;
      c.code = in.codes[k];
      c.message = c.code == 0 ? "" : in.message;
      c.stdout_expected = c.code == 0;
      c.setup = in.setup + "P=\"" + in.path + "\"; GOOD=\"" + in.good + "\"; " + bad.make;
      c.show_memory = true;
      c.check = [](const Outcome& r, const std::string&) {
        EXPECT_LT(r.peak_rss_mb, 1500) << "memory must stay bounded, whatever the file";
      };
      run_case(c);
    }
  }
}

TEST(Robustness, EveryFileInputGivenEachBadFile) {
  // Bad files, in order: missing, directory, /dev/zero, /dev/urandom, FIFO, truncated, damaged in the middle.
  const std::string model = "cp -r \"$M\" m; ";
  run_battery({
      {"a config (train -c)", "in.json", "c.json", "", "$NMT train -c in.json", "in.json", {2, 2, 2, 2, 2, 2, 2}},
      {"a reference (eval -r)", "ref", "$TOY/test.fr", "", "$NMT eval -r ref <$TOY/test.fr", "ref",
       {2, 2, 2, 2, 2, 2, 2}},
      {"hypotheses (eval --hyp)", "hyp", "$TOY/test.fr", "", "$NMT eval -r $TOY/test.fr --hyp hyp", "hyp",
       {2, 2, 2, 2, 2, 2, 2}},
      {"a training corpus (data.train.src)", "src", "$TOY/train.en", "",
       "$NMT -q prepare -c c.json --set data.train.src=$D/src", "src", {2, 2, 2, 2, 2, 2, 2}},
      {"a checkpoint (translate --checkpoint)", "w.pt", "$M/checkpoints/best.pt", "",
       "$NMT -q translate -m $M --checkpoint w.pt </dev/null", "w.pt", {2, 2, 2, 2, 2, 2, 2}},
      {"a model's config.json (translate -m)", "m/config.json", "$M/config.json", model + "rm m/config.json; ",
       "echo a | $NMT -q translate -m m", "config.json", {2, 2, 2, 2, 2, 2, 2}},
      // SentencePiece's model carries no checksum: 8 bytes changed inside a
      // piece's text load, and translation goes on with that piece.
      {"a model's vocabulary (translate -m)", "m/spm.model", "$M/spm.model", model + "rm m/spm.model; ",
       "echo a | $NMT -q translate -m m", "spm.model", {2, 2, 2, 2, 2, 2, 0}},
      {"a model's training cache (translate --shortlist)", "m/cache/train.bin", "$M/cache/train.bin",
       model + "rm m/cache/train.bin; ", "echo a | $NMT -q translate -m m --shortlist 100,10", "train.bin",
       {2, 2, 2, 2, 2, 2, 2}},
      {"a model's metrics.jsonl (plot curves)", "m/metrics.jsonl", "$M/metrics.jsonl",
       model + "rm m/metrics.jsonl; ", "$NMT plot curves -m m -o c.png", "metrics.jsonl", {2, 2, 2, 2, 2, 2, 2}},
      // Standard input is opened by the shell, so a missing file never reaches
      // nmt; /dev/zero is one endless line, which translate streams past in
      // bounded memory for as long as it comes (as "one line of 100 MB" shows).
      {"translate's standard input", "in", "$TOY/test.en", "", "$NMT -q translate -m $M <in", "<stdin>",
       {kNotFed, 2, kNotFed, 2, 0, 0, 2}},
  });
}

}  // namespace
}  // namespace nmt::robustness
