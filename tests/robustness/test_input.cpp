// Bad input: configs and flags, corpora, models and checkpoints, and what
// translate and eval read. Each refusal is exit 2 and one line naming the file,
// line or key; each handled case ends well and says what it did.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "harness.h"

namespace nmt::robustness {
namespace {

TEST(Robustness, ConfigFilesAndFlags) {
  const std::string kind = "Configuration files and flags";
  const std::vector<Case> cases = {
      {kind, "a config file that does not exist", "$NMT train -c $D/none.json", 2,
       "file '$D/none.json' does not exist"},
      {kind, "a directory given as the config", "$NMT train -c $D", 2, "is a directory, not a file"},
      {kind, "malformed JSON (a trailing comma)", "$NMT train -c bad.json", 2,
       "bad.json: malformed JSON: parse error at line 2, column 24",
       R"(printf '{\n  "vocab": {"size": 10,}\n}\n' >bad.json)"},
      {kind, "an empty config file", "$NMT train -c empty.json", 2, "empty.json: malformed JSON", ": >empty.json"},
      {kind, "a config that is not an object", "$NMT train -c list.json", 2, "list.json", "echo '[1, 2]' >list.json"},
      {kind, "a number too large for a double", "$NMT train -c big.json", 2,
       "big.json: malformed JSON: number overflow parsing '1e999'", R"(echo '{"training": {"lr": 1e999}}' >big.json)"},
      {kind, "a misspelt key", "$NMT train -c typo.json", 2, "unknown key 'trainig' (did you mean 'training'?)",
       R"(echo '{"trainig": {}}' >typo.json)"},
      {kind, "a value of the wrong type", "$NMT train -c type.json", 2,
       "type.json: vocab.size: expected an integer, got string \"big\"",
       R"(echo '{"vocab": {"size": "big"}}' >type.json)"},
      {kind, "a value out of range", "$NMT train -c $CFG --set vocab.size=4", 2,
       "--set vocab.size: must be in [8, 1048576], got 4"},
      {kind, "training.update_freq 0", "$NMT train -c $CFG --set training.update_freq=0", 2,
       "--set training.update_freq: must be in [1, 1024], got 0"},
      {kind, "training.precision fp16 on the CPU", "$NMT train -c $CFG --set training.precision=fp16", 2,
       "training.precision fp16 needs a CUDA device"},
      {kind, "WORLD_SIZE without RANK", "WORLD_SIZE=2 $NMT train -c $CFG", 2, "WORLD_SIZE=2 is set but RANK is not"},
      {kind, "a RANK out of range", "WORLD_SIZE=2 RANK=2 MASTER_ADDR=127.0.0.1 $NMT train -c $CFG", 2,
       "RANK=2 is out of range for WORLD_SIZE=2 (ranks 0 to 1)"},
      {kind, "--nproc larger than the cores", "$NMT train -c $CFG --nproc 4096", 2,
       "--nproc 4096: this machine has"},
      {kind, "MASTER_ADDR:MASTER_PORT where nobody listens",
       "WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=1 $NMT train -c $CFG --set training.dist_timeout=3s", 1,
       "rank 1: no rendezvous at 127.0.0.1:1 (MASTER_ADDR:MASTER_PORT) after "},
      {kind, "an unknown key in --set", "$NMT train -c $CFG --set training.lrr=1", 2,
       "--set training.lrr: unknown key (did you mean 'training.lr'?)"},
      {kind, "--set without a value", "$NMT train -c $CFG --set training.lr", 2, "--set training.lr"},
      {kind, "--set with bytes that are not UTF-8", "$NMT train -c $CFG --set $'training.lr=\\x95'", 2,
       "--set training.lr: a value that is not valid UTF-8"},
      {kind, "NaN for a float option", "$NMT train -c $CFG --set training.lr=nan", 2,
       "--set training.lr: expected a number, got string \"nan\""},
      {kind, "an EMA decay of 1", "$NMT train -c $CFG --set training.ema_decay=1", 2,
       "--set training.ema_decay: must be in [0, 1), got 1"},
      {kind, "a time budget that does not parse", "$NMT train -c $CFG --set training.max_time=forty", 2,
       "--set training.max_time: 'forty' is not a duration; write it as 90s, 40m, 2h or 1h30m"},
      {kind, "a negative thread count", "$NMT train -c $CFG --threads=-1", 2, "--threads: must be >= 0, got -1"},
      {kind, "a beam of 0", "$NMT translate -m $M --beam 0 </dev/null", 2, "--beam: must be in [1, 1000], got 0"},
      {kind, "ensemble weights that do not match the models", "$NMT translate -m $M -m $M --weights 1 </dev/null",
       2, "--weights: 1 weights for 2 models; give one per --model"},
      {kind, "ensemble weights that sum to 0", "$NMT translate -m $M -m $M --weights 0,0 </dev/null", 2,
       "--weights: '0,0' sums to 0; the weights must sum to a positive number"},
      {kind, "an unknown way to sample", "$NMT translate -m $M --sampling beam:3 </dev/null", 2,
       "--sampling: 'beam:3' is not a way to sample; use full, topk:K or topp:P"},
      {kind, "top-k sampling with K 0", "$NMT translate -m $M --sampling topk:0 </dev/null", 2,
       "--sampling: K of 'topk:0' must be a whole number >= 1"},
      {kind, "nucleus sampling with P over 1", "$NMT translate -m $M --sampling topp:1.5 </dev/null", 2,
       "--sampling: P of 'topp:1.5' must be in (0, 1]"},
      {kind, "an unknown device", "$NMT translate -m $M --device tpu </dev/null", 2, "--device"},
      {kind, "an unknown verb", "$NMT evl -r x", 2, "unknown verb 'evl' (did you mean 'eval'?)"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST(Robustness, TrainingCorpora) {
  const std::string kind = "Training corpora";
  const std::string two = "printf 'a b\\nc d\\n' >two.en; ";
  const std::vector<Case> cases = {
      {kind, "a corpus file that does not exist", "$NMT prepare -c $CFG --set data.train.src=$D/none.en", 2,
       "file '$D/none.en' does not exist"},
      {kind, "a directory given as a corpus file", "$NMT prepare -c $CFG --set data.train.src=$D", 2,
       "'$D' is a directory, not a file"},
      {kind, "sides of different lengths",
       "$NMT prepare -c $CFG --set data.train.src=$D/two.en --set data.train.tgt=$D/three.fr", 2,
       "different line counts: '$D/two.en' has 2 lines, '$D/three.fr' has 3", two + "printf 'a\\nb\\nc\\n' >three.fr"},
      {kind, "invalid UTF-8 on line 2",
       "$NMT prepare -c $CFG --set data.train.src=$D/two.en --set data.train.tgt=$D/bad.fr", 2,
       "$D/bad.fr:2: invalid UTF-8", two + "printf 'a\\n\\xff b\\n' >bad.fr"},
      {kind, "an empty corpus", "$NMT prepare -c $CFG --set data.train.src=$D/e.en --set data.train.tgt=$D/e.fr", 2,
       "corpus files '$D/e.en' and '$D/e.fr' are empty", ": >e.en; : >e.fr"},
      {kind, "a corpus too small for the vocabulary size",
       "$NMT -q prepare -c $CFG --set data.train.src=$D/two.en --set data.train.tgt=$D/two.en", 2,
       "config key vocab.size (150) does not fit this corpus", two},
      {kind, "a line of 1 MB (over SentencePiece's limit)", "$NMT prepare -c $CFG --set data.train.src=$D/long.en", 0,
       "longer than 4192 bytes were left out of the vocabulary's training",
       "(head -n 1 \"$TOY/valid.en\" | tr -d '\\n'; head -c 1000000 /dev/zero | tr '\\0' 'a'; echo; "
       "tail -n +2 \"$TOY/valid.en\") >long.en",
       false, [](const Outcome&, const std::string& d) { EXPECT_TRUE(std::filesystem::exists(d + "/m/spm.model")); }},
      {kind, "Windows line ends (CRLF)", "$NMT prepare -c $CFG --set data.train.src=$D/crlf.en", 0, "",
       "sed 's/$/\\r/' \"$TOY/valid.en\" >crlf.en"},
      {kind, "a model_dir that cannot be created", "$NMT prepare -c $CFG --set model_dir=$D/file/sub", 2,
       "cannot create directory '$D/file/sub'", ": >file"},
      {kind, "train into a directory that holds a run, without --resume", "$NMT train -c $CFG", 2,
       "already holds a training run (checkpoints/last.pt): pass --resume", kCopyModel},
      {kind, "train into a directory whose checkpoints/ holds a file of the user's", "$NMT train -c $CFG", 2,
       "already holds a training run (checkpoints/step-1.pt): pass --resume",
       "mkdir -p m/checkpoints; echo 'my own file' >m/checkpoints/step-1.pt"},
      {kind, "--resume with no checkpoint", "$NMT train --resume -c $CFG", 2,
       "--resume: there is no checkpoint to resume from"},
      {kind, "--resume with another vocabulary size", "$NMT -q train --resume -c $CFG --set vocab.size=200", 2,
       "config key vocab.size is 200, but '$D/m/spm.model' was built with 150", kCopyModel},
      {kind, "--resume with other model sizes", "$NMT -q train --resume -c $CFG --set model.rnnsearch.embed_dim=32", 2,
       "is for other model sizes: src_embed.weight is [150, 16], the config gives [150, 32]", kCopyModel},
      // Larger batches make fewer of them: the recorded batch lies past the epoch's end.
      // (In a copy made by the command: the run it continues changes.)
      {kind, "--resume with batches ten times larger",
       "cp -r m m2 && $NMT -q train --resume -c $CFG --set model_dir=$D/m2 --set training.batch_tokens=3000 "
       "--set training.max_steps=22", 0, "going on from epoch", kCopyModel},
  };
  for (const auto& c : cases) run_case(c);
}

TEST(Robustness, ModelsAndCheckpoints) {
  const std::string kind = "Models and checkpoints";
  const std::string best = "'$D/m/checkpoints/best.pt'";
  const std::vector<Case> cases = {
      {kind, "a model directory that does not exist", "$NMT translate -m $D/none </dev/null", 2, "$D/none"},
      {kind, "a file given as the model directory", "$NMT translate -m $M/config.json </dev/null", 2,
       "is a file, not a directory"},
      {kind, "a directory given as the checkpoint", "$NMT translate -m $M --checkpoint $D </dev/null", 2,
       "checkpoint '$D' is not a file"},
      {kind, "a checkpoint cut in half", "$NMT translate -m m </dev/null", 2, "checkpoint 'm/checkpoints/best.pt'",
       kCopyModel + "truncate -s $(($(stat -c %s m/checkpoints/best.pt) / 2)) m/checkpoints/best.pt"},
      {kind, "a checkpoint whose second half is zeros", "$NMT translate -m m </dev/null", 2,
       "checkpoint 'm/checkpoints/best.pt'",
       kCopyModel + "s=$(stat -c %s m/checkpoints/best.pt); truncate -s $((s / 2)) m/checkpoints/best.pt; "
                    "truncate -s $s m/checkpoints/best.pt"},
      {kind, "a checkpoint with one byte overwritten", "$NMT translate -m m </dev/null", 2,
       "checkpoint 'm/checkpoints/best.pt' is corrupt: its checksum does not match its contents",
       kCopyModel + "printf '\\x01' | dd of=m/checkpoints/best.pt bs=1 seek=5000 conv=notrunc status=none"},
      {kind, "a checkpoint of random bytes", "$NMT translate -m m </dev/null", 2, "checkpoint 'm/checkpoints/best.pt'",
       kCopyModel + "head -c 100000 /dev/urandom >m/checkpoints/best.pt"},
      {kind, "an empty checkpoint", "$NMT translate -m m </dev/null", 2, "checkpoint 'm/checkpoints/best.pt' is empty",
       kCopyModel + ": >m/checkpoints/best.pt"},
      {kind, "a missing checkpoint", "$NMT translate -m m </dev/null", 2,
       "checkpoint 'm/checkpoints/best.pt' does not exist", kCopyModel + "rm m/checkpoints/best.pt"},
      {kind, "last.pt cut to 100 bytes, on --resume", "$NMT -q train --resume -c $CFG", 2,
       "checkpoint '$D/m/checkpoints/last.pt' is truncated or extended: it holds 76 bytes of an archive of",
       kCopyModel + "rm m/checkpoints/last.pt; head -c 100 m/checkpoints/step-20.pt >m/checkpoints/last.pt"},
      {kind, "malformed JSON in the model's config.json", "$NMT translate -m m </dev/null", 2,
       "m/config.json: malformed JSON", kCopyModel + "echo '{\"data\": ' >m/config.json"},
      {kind, "an unknown key in the model's config.json", "$NMT translate -m m </dev/null", 2,
       "m/config.json: unknown key 'model.kind'", kCopyModel + "echo '{\"model\": {\"kind\": 1}}' >m/config.json"},
      {kind, "a missing vocabulary", "$NMT translate -m m </dev/null", 2, "vocabulary 'm/spm.model' does not exist",
       kCopyModel + "rm m/spm.model"},
      {kind, "a truncated vocabulary", "$NMT translate -m m </dev/null", 2,
       "vocabulary 'm/spm.model' is not a SentencePiece model: its contents do not parse",
       kCopyModel + "truncate -s 1000 m/spm.model"},
  };
  for (const auto& c : cases) run_case(c);
}

// Peak RSS of translating one line of 100 MB. Without a bound on the line it
// would hold the line several times over; AddressSanitizer's shadow memory and
// quarantine add some 200 MB of their own.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMemoryBoundMb = 800;
#else
constexpr long kMemoryBoundMb = 400;
#endif

// 600 KB on one line: far over the model's data.max_len of 40 pieces.
const std::string kLongLine = "for i in $(seq 20000); do printf 'the small dog sees the cats . '; done";

// Files of a model that a command only reads, or writes only through nmt's own
// names, are never replaced: not through -o, not through a link planted in or
// beside the model directory.
TEST(Robustness, NothingOfAModelOverwritten) {
  const std::string kind = "Nothing of a model's overwritten";
  const std::string inputs = "head -3 $TOY/test.en >src; head -3 $TOY/test.fr >ref; ";
  const std::string planted = "echo precious >precious; mkdir -p m/checkpoints; ";
  const std::vector<Case> cases = {
      {kind, "train into a model_dir whose best.pt is a link to a file outside", "$NMT -q train -c $CFG", 2,
       "'$D/m/checkpoints/best.pt' is a symbolic link", planted + "ln -s $D/precious m/checkpoints/best.pt"},
      {kind, "prepare into a model_dir whose config.json is a link to a file outside", "$NMT -q prepare -c $CFG", 2,
       "'$D/m/config.json' is a symbolic link", planted + "ln -s $D/precious m/config.json"},
      {kind, "eval -o the model's checkpoint", "$NMT -q eval -r ref --model m --src src -o m/checkpoints/best.pt", 2,
       "-o 'm/checkpoints/best.pt' is the file", kCopyModel + inputs},
      {kind, "average -o the model's vocabulary", "$NMT -q average -m m --last 1 -o m/spm.model", 2,
       "-o 'm/spm.model' is the file", kCopyModel},
      {kind, "plot curves -o a link to the model's metrics", "$NMT -q plot curves -m m -o c.png", 2,
       "-o 'c.png' is the file", kCopyModel + "ln -s m/metrics.jsonl c.png"},
      {kind, "plot attention -o a link to the model's vocabulary", "$NMT -q plot attention -m m --src 'a cat .' -o att",
       2, "-o 'att.png' is the file", kCopyModel + "ln -s m/spm.model att.png"},
      {kind, "translate --attention-plot into a directory with a link to a checkpoint",
       "echo 'a cat .' | $NMT -q translate -m m --attention-plot d", 2, "--attention-plot 'd/line-1.png' is the file",
       kCopyModel + "mkdir d; ln -s ../m/checkpoints/best.pt d/line-1.png"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST(Robustness, TranslationInput) {
  const std::string kind = "What translate and eval read";
  const std::string three = "(echo 'the boys are reading .'; " + kLongLine + "; echo; echo 'a woman eats .') >in; ";
  const std::vector<Case> cases = {
      {kind, "invalid UTF-8 on line 2 of stdin", "printf 'ok\\n\\xc3\\x28\\n' | $NMT -q translate -m $M", 2,
       "<stdin>: line 2: invalid UTF-8"},
      {kind, "a line of 600 KB", "$NMT translate --threads 1 -m $M <in", 0,
       "<stdin>: line 2: more than --max-input-length 40 pieces, cropped to them", three, true,
       [](const Outcome& r, const std::string&) { EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3); }},
      {kind, "a line of 600 KB, with --max-input-length-policy error",
       "$NMT -q translate --max-input-length-policy error -m $M <in", 2,
       "<stdin>: line 2: more than --max-input-length 40 pieces (--max-input-length-policy error)", three},
      {kind, "one line of 100 MB", "$NMT -q translate --threads 2 -m $M <huge", 0, "cropped to them",
       "head -c 100000000 /dev/zero | tr '\\0' 'a' >huge; echo >>huge", true,
       [](const Outcome& r, const std::string&) {
         EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
         EXPECT_LT(r.peak_rss_mb, kMemoryBoundMb) << "memory must stay bounded by the input limit";
       },
       "", true},
      {kind, "a last line without a newline", "printf 'the boys are reading .' | $NMT -q translate -m $M", 0, "", "",
       true, [](const Outcome& r, const std::string&) { EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1); }},
      {kind, "a NUL byte inside a line", "printf 'the \\0boys\\n' | $NMT -q translate -m $M", 0, "", "", true,
       [](const Outcome& r, const std::string&) { EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1); }},
      {kind, "empty input", "$NMT -q translate -m $M </dev/null", 0},
      {kind, "hypotheses and reference of different lengths", "echo one | $NMT eval -r ref", 2,
       "hypotheses '<stdin>' and reference 'ref' have different line counts: 1 and 2", "printf 'one\\ntwo\\n' >ref"},
      {kind, "a reference that does not exist", "$NMT eval -r none </dev/null", 2, "file 'none' does not exist"},
      // What nmt may hold is what `ulimit -v` leaves it, not the machine's memory.
      {kind, "an endless reference stream, under ulimit -v 3 GB",
       "ulimit -v 3000000; yes 'a line of a reference' | $NMT eval -r /dev/stdin --hyp $TOY/test.fr", 2,
       "'/dev/stdin' holds more than"},
      {kind, "invalid UTF-8 in a reference", "printf 'one\\ntwo\\n' | $NMT eval -r bad", 2, "bad:2: invalid UTF-8",
       "printf 'one\\nt\\xc3\\x28o\\n' >bad"},
      {kind, "--shortlist without its K", "echo 'a woman eats .' | $NMT -q translate -m $M --shortlist 100", 2,
       "--shortlist: expected F,K"},
      {kind, "--shortlist on a model whose training corpus has gone",
       "echo 'a woman eats .' | $NMT -q translate -m m --shortlist 100,20", 2,
       "--shortlist counts the model's training corpus: cannot read '", "cp -r $M m; sed -i s#/valid.en#/gone.en# m/config.json"},
      {kind, "a source and reference of different lengths", "$NMT eval -m bleu --model $M --src src --ref ref", 2,
       "source 'src' and reference 'ref' have different line counts: 1 and 2",
       "printf 'one\\ntwo\\n' >ref; echo one >src"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST(Robustness, PicturesAndAlignments) {
  const std::string kind = "Pictures and alignments";
  const std::string metrics = R"(printf '{"event":"train","step":1,"loss":5}\n{"event":"tr\n' >m/metrics.jsonl; )";
  const std::vector<Case> cases = {
      {kind, "--attention-plot where a file is (a directory that cannot be written)", "echo 'a woman eats .' | $NMT -q translate -m $M --attention-plot f", 2,
       "--attention-plot f: cannot write there", "echo x >f"},
      {kind, "--layer out of range", "echo 'a woman eats .' | $NMT -q translate -m $M --alignment hard --layer 5", 2,
       "--layer 5 is out of range: the model's layers are 0 to 0"},
      {kind, "--head out of range", "$NMT -q plot attention -m $M --src 'a woman eats .' --head -2", 2,
       "--head -2 is out of range: the model's heads are 0 to 0"},
      {kind, "an unknown --alignment", "echo 'a woman eats .' | $NMT -q translate -m $M --alignment words", 2,
       "--alignment must be hard, soft or a threshold in (0, 1), got 'words'"},
      {kind, "an --alignment threshold of 1", "echo 'a woman eats .' | $NMT -q translate -m $M --alignment 1", 2,
       "--alignment must be hard, soft or a threshold in (0, 1), got '1'"},
      {kind, "plot curves of a directory without metrics.jsonl", "$NMT plot curves -m $D -o c.png", 2,
       "$D/metrics.jsonl: cannot read the training metrics"},
      {kind, "plot curves of a damaged metrics line", "$NMT plot curves -m m -o c.svg", 2,
       "m/metrics.jsonl: line 2 is not a metrics record (--skip-bad skips such lines)", "mkdir m; " + metrics},
      {kind, "plot curves of a damaged metrics line, with --skip-bad", "$NMT plot curves -m m -o c.svg --skip-bad", 0,
       "m/metrics.jsonl: line 2 is not a metrics record; skipped", "mkdir m; " + metrics, false,
       [](const Outcome&, const std::string& dir) { EXPECT_TRUE(std::filesystem::exists(dir + "/c.svg")); }},
      {kind, "plot curves to a name that is not .png or .svg", "$NMT plot curves -m $M -o c.jpg", 2,
       "c.jpg: a picture must be named .png or .svg"},
  };
  for (const auto& c : cases) run_case(c);
}

}  // namespace
}  // namespace nmt::robustness
