#include "nmt/train/resume_record.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace nmt::train {
namespace {

using json = nlohmann::json;

// j[key], which must exist and hold a `kind` value; `at` names j in messages.
const json& member(const json& j, const std::string& at, const char* key, json::value_t kind) {
  const std::string name = at.empty() ? key : at + "." + key;
  if (!j.is_object() || !j.contains(key)) throw std::invalid_argument(name + " is missing");
  const json& v = j.at(key);
  const bool number = kind == json::value_t::number_float;
  const bool ok = number                                  ? v.is_number()
                  : kind == json::value_t::number_integer ? v.is_number_integer()
                                                          : v.type() == kind;
  if (!ok)
    throw std::invalid_argument(name + " is " + v.type_name() + ", not the " + json(kind).type_name() + " expected");
  return v;
}

int64_t count(const json& j, const std::string& at, const char* key, int64_t min) {
  const json& v = member(j, at, key, json::value_t::number_integer);
  const std::string name = at.empty() ? key : at + "." + key;
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    throw std::invalid_argument(name + " is out of range, got " + v.dump());
  }
  if (v.get<int64_t>() < min)
    throw std::invalid_argument(name + " must be >= " + std::to_string(min) + ", got " + v.dump());
  return v.get<int64_t>();
}

double real(const json& j, const std::string& at, const char* key) {
  return member(j, at, key, json::value_t::number_float).get<double>();
}

ImprovementTracker::State tracker(const json& j, const std::string& at) {
  return {real(j, at, "best"), member(j, at, "has_best", json::value_t::boolean).get<bool>(), count(j, at, "bad", 0)};
}

}  // namespace

json tracker_json(const ImprovementTracker::State& s) {
  return {{"best", s.best}, {"has_best", s.has_best}, {"bad", s.bad}};
}

ResumeRecord parse_resume_record(const std::string& text) {
  json m;
  try {
    m = json::parse(text);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  }
  const std::string top;  // the record's own keys are named without a prefix
  ResumeRecord r;
  r.step = count(m, top, "step", 0);
  r.position = {count(m, top, "epoch", 1), count(m, top, "batch", 0)};
  const json& schedule = member(m, top, "schedule", json::value_t::object);
  r.schedule = {real(schedule, "schedule", "scale"), tracker(schedule, "schedule")};
  if (!(r.schedule.scale > 0) || !std::isfinite(r.schedule.scale)) {
    throw std::invalid_argument("schedule.scale must be a positive number, got " + schedule.at("scale").dump());
  }
  r.early_stopping = tracker(member(m, top, "early_stopping", json::value_t::object), "early_stopping");
  r.elapsed_s = real(m, top, "elapsed_s");
  if (!(r.elapsed_s >= 0)) throw std::invalid_argument("elapsed_s must be >= 0, got " + m.at("elapsed_s").dump());
  r.rng = member(m, top, "rng", json::value_t::object);
  member(r.rng, "rng", "cpu", json::value_t::string);  // restore_rng reads the hex
  if (r.rng.contains("cuda")) member(r.rng, "rng", "cuda", json::value_t::string);
  if (m.contains("world_size")) {
    r.world_size = count(m, top, "world_size", 1);
    const json& others = member(m, top, "rank_rng", json::value_t::array);
    if (static_cast<int64_t>(others.size()) != r.world_size - 1) {
      throw std::invalid_argument("rank_rng holds " + std::to_string(others.size()) + " states, not the " +
                                  std::to_string(r.world_size - 1) + " of ranks 1 to " + std::to_string(r.world_size - 1));
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
      const std::string at = "rank_rng[" + std::to_string(i) + "]";
      if (!others[i].is_object()) throw std::invalid_argument(at + " is not an object");
      member(others[i], at, "cpu", json::value_t::string);
      r.rank_rng.push_back(others[i]);
    }
  }
  return r;
}

}  // namespace nmt::train
