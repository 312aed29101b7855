// Tiny command-line helpers shared by heat2d and heat2d-test.
#ifndef HEAT2D_OPTIONS_HPP
#define HEAT2D_OPTIONS_HPP

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace heat2d {

inline long parse_long(const std::string& option, const char* text, long min_value, long max_value) {
  if (text == nullptr) {
    throw std::invalid_argument(option + " needs a value");
  }
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min_value || value > max_value) {
    throw std::invalid_argument(option + " expects an integer in [" + std::to_string(min_value) +
                                ", " + std::to_string(max_value) + "], got '" + text + "'");
  }
  return value;
}

inline double parse_double(const std::string& option, const char* text, double min_value,
                           double max_value) {
  if (text == nullptr) {
    throw std::invalid_argument(option + " needs a value");
  }
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value >= min_value && value <= max_value)) {
    throw std::invalid_argument(option + " expects a number in [" + std::to_string(min_value) +
                                ", " + std::to_string(max_value) + "], got '" + text + "'");
  }
  return value;
}

}  // namespace heat2d

#endif  // HEAT2D_OPTIONS_HPP
