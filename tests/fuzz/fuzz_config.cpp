// The config parser and --set: leading lines "--set KEY=VALUE" are overrides,
// the rest is the config file. Any input gives a Config or a ConfigError of one
// line; a Config written out and read back is the same Config.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "nmt/common/config.h"
#include "nmt/common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<nmt::Override> overrides;
  try {
    while (text.rfind("--set ", 0) == 0) {
      const auto end = text.find('\n');
      overrides.push_back(nmt::Override::from_set(text.substr(6, end == std::string::npos ? end : end - 6)));
      text = end == std::string::npos ? "" : text.substr(end + 1);
    }
    const nmt::Config config = nmt::parse_config(text, "fuzz.json", overrides);
    const std::string json = nmt::config_to_json(config);
    if (nmt::config_to_json(nmt::parse_config(json, "written.json", std::vector<nmt::Override>{})) != json) {
      nmt::fuzz::violated("a config read back differs", json);
    }
  } catch (const nmt::NmtError& e) {
    nmt::fuzz::check_message(e.what());
  }
  return 0;
}
