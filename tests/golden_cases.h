// What the three golden suites share (tests/golden, golden-grad, golden-attention: each a copy of
// ../shared's): the list of cases in a folder, reading one, its nested numbers flattened, a mask, and the
// goldens' tolerance rule |got - expected| <= tolerance · max(1, |expected|).
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/record.h"

namespace maskviz::golden {

// Every tests/<folder>/*.golden.json, sorted so that the test names keep their order.
inline std::vector<std::string> case_files(const char* folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(MASKVIZ_TEST_DIR) / folder))
    if (entry.path().string().ends_with(".golden.json")) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

inline Json read_case(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// Nested arrays to one list, in order: null (a non-finite value in the golden) is NaN, a boolean 0 or 1.
inline void flatten_numbers(const Json& value, std::vector<double>& out) {
  if (value.is_array()) {
    for (const auto& v : value) flatten_numbers(v, out);
  } else if (value.is_boolean()) {
    out.push_back(value.get<bool>() ? 1.0 : 0.0);
  } else {
    out.push_back(value.is_null() ? std::nan("") : value.get<double>());
  }
}

// [B][T] booleans, or null for no mask.
inline OptMask mask_from(const Json& value) {
  if (value.is_null()) return std::nullopt;
  Mask m(value.size(), value[0].size());
  for (std::size_t b = 0; b < m.batch; ++b)
    for (std::size_t t = 0; t < m.time; ++t) m.set(b, t, value[b][t].get<bool>());
  return m;
}

// The goldens' rule; a NaN expected (null in the golden) asks for a NaN.
inline bool close(double got, double expected, double tolerance) {
  if (std::isnan(expected)) return std::isnan(got);
  return std::fabs(got - expected) <= tolerance * std::max(1.0, std::fabs(expected));
}

}  // namespace maskviz::golden
