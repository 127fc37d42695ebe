// The BLEU and chrF tokenizers and scorers, on valid UTF-8 (eval refuses any
// other): lines alternate hypothesis, reference. Every tokenizer returns valid
// UTF-8 and every score is a number in [0, 100].
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "nmt/common/utf8.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/eval/tokenize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (nmt::utf8::find_invalid(text) != nmt::utf8::kValid) return 0;
  std::vector<std::string> hyps, refs;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) (hyps.size() == refs.size() ? hyps : refs).push_back(line);
  refs.resize(hyps.size());
  for (const auto t : {nmt::eval::Tokenizer::k13a, nmt::eval::Tokenizer::kIntl, nmt::eval::Tokenizer::kChar,
                       nmt::eval::Tokenizer::kNone}) {
    for (const auto& h : hyps) {
      if (nmt::utf8::find_invalid(nmt::eval::tokenize(h, t)) != nmt::utf8::kValid) {
        nmt::fuzz::violated("a tokenizer made invalid UTF-8", h);
      }
    }
    for (const bool lowercase : {false, true}) {
      const auto bleu = nmt::eval::corpus_bleu(hyps, {refs}, {t, lowercase});
      if (!(bleu.score >= 0 && bleu.score <= 100)) nmt::fuzz::violated("BLEU outside [0, 100]", bleu.format());
    }
  }
  for (const bool whitespace : {false, true}) {
    nmt::eval::ChrfOptions options;
    options.whitespace = whitespace;
    const auto chrf = nmt::eval::corpus_chrf(hyps, {refs}, options);
    if (!(chrf.score >= 0 && chrf.score <= 100)) nmt::fuzz::violated("chrF outside [0, 100]", chrf.format());
  }
  return 0;
}
