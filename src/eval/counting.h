// Helpers shared by BLEU and chrF (internal to src/eval).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace nmt::eval {

template <class Key>
struct Counted {
  Key key;
  int64_t count;
};

/// Sorts `keys` and returns each distinct key with its count, in order.
template <class Key>
std::vector<Counted<Key>> count_sorted(std::vector<Key> keys) {
  std::sort(keys.begin(), keys.end());
  std::vector<Counted<Key>> out;
  for (const auto& k : keys) {
    if (!out.empty() && out.back().key == k) {
      ++out.back().count;
    } else {
      out.push_back({k, 1});
    }
  }
  return out;
}

/// Python's format(v, '.Nf'): correctly rounded, as printf does.
inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace nmt::eval
