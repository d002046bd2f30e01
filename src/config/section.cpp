#include "config/section.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cctype>
#include <unordered_set>
#include <sstream>

#include <fmt/format.h>

#include "core/redact.hpp"

namespace vigie::config {
namespace {

std::string format_number(double v) {
  std::string s = fmt::format("{}", v);
  return s;
}

const char* node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Null: return "empty";
    case YAML::NodeType::Undefined: return "undefined";
  }
  return "unknown";
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

}  // namespace

std::string ConfigError::to_string() const {
  if (line > 0) return fmt::format("{}: {} (line {})", path, message, line);
  return fmt::format("{}: {}", path, message);
}

int line_of(const YAML::Node& node) {
  if (!node || node.Mark().is_null()) return 0;
  return node.Mark().line + 1;
}

Section::Section(const YAML::Node& node, std::string path, ParseContext& ctx)
    : node_(node), path_(std::move(path)), ctx_(ctx) {
  if (ctx_.describing) return;
  if (node_ && !node_.IsMap() && !node_.IsNull()) {
    ctx_.errors.push_back({path_.empty() ? "(document)" : path_,
                           std::string("expected a mapping of keys, found ") + node_kind(node_),
                           vigie::config::line_of(node_)});
    node_ = YAML::Node();
  }
}

Section::~Section() {
  if (ctx_.describing || !node_ || !node_.IsMap()) return;
  // Hashed: a document of hundreds of thousands of keys is checked in linear time, and its
  // errors are reported up to a limit, then counted.
  constexpr std::size_t kMostReported = 100;
  std::unordered_set<std::string> seen;
  const std::unordered_set<std::string> known_keys(consumed_.begin(), consumed_.end());
  std::string known;
  for (const auto& c : consumed_) known += (known.empty() ? "" : ", ") + c;
  std::size_t reported = 0;
  std::size_t unreported = 0;
  int first_unreported_line = 0;
  auto report = [&](const std::string& where, std::string message, int line) {
    if (reported == kMostReported) {
      if (unreported++ == 0) first_unreported_line = line;
      return;
    }
    ++reported;
    ctx_.errors.push_back({where, std::move(message), line});
  };
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      report(child_path(key), "duplicate key", vigie::config::line_of(kv.first));
      continue;
    }
    if (!known_keys.contains(key)) {
      report(child_path(key), "unknown key (known keys here: " + known + ")",
             vigie::config::line_of(kv.first));
    }
  }
  if (unreported > 0) {
    ctx_.errors.push_back({path_.empty() ? "(document)" : path_,
                           std::to_string(unreported) + " more unknown or duplicate keys",
                           first_unreported_line});
  }
}

std::string Section::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

int Section::line_of(std::string_view key) const {
  if (!key.empty() && node_ && node_.IsMap()) {
    const YAML::Node& const_node = node_;
    const YAML::Node v = const_node[std::string(key)];
    if (v) return vigie::config::line_of(v);
  }
  return vigie::config::line_of(node_);
}

bool Section::has(std::string_view key) const {
  if (ctx_.describing || !node_ || !node_.IsMap()) return false;
  const YAML::Node& const_node = node_;
  return static_cast<bool>(const_node[std::string(key)]);
}

void Section::error(std::string_view key, std::string message) {
  ctx_.errors.push_back({child_path(key), std::move(message), line_of(key)});
}

YAML::Node Section::take(std::string_view key) {
  consumed_.emplace_back(key);
  if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& const_node = node_;
  YAML::Node v = const_node[std::string(key)];
  if (v && v.IsNull())
    return YAML::Node(YAML::NodeType::Undefined);  // "key:" with no value: default
  return v;
}

void Section::document(std::string_view key, std::string kind, std::string default_value,
                       std::string bounds, std::string_view description) {
  consumed_.emplace_back(key);
  ctx_.docs.push_back({child_path(key), std::move(kind), std::move(default_value),
                       std::move(bounds), std::string(description)});
}

std::optional<std::string> Section::scalar(const YAML::Node& value, std::string_view key) {
  if (!value.IsScalar()) {
    error(key, std::string("expected a single value, found ") + node_kind(value));
    return std::nullopt;
  }
  // ${NAME} is replaced by the environment variable NAME, so secrets stay out of files. A
  // plain scan, not a regular expression: std::regex recurses per character and a value of a
  // hundred thousand characters overflowed the stack.
  const std::string raw = value.Scalar();
  std::string out;
  std::size_t last = 0;
  bool ok = true;
  auto name_char = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)) != 0);
  };
  for (std::size_t at = raw.find("${"); at != std::string::npos; at = raw.find("${", at + 1)) {
    std::size_t end = at + 2;
    while (end < raw.size() && name_char(raw[end], end == at + 2)) ++end;
    if (end == at + 2 || end >= raw.size() || raw[end] != '}') continue;  // not ${NAME}
    const std::string name = raw.substr(at + 2, end - at - 2);
    out += raw.substr(last, at - last);
    last = end + 1;
    auto env_value = ctx_.env ? ctx_.env(name) : std::nullopt;
    if (!env_value) {
      error(key, "environment variable " + name + " is not set");
      ok = false;
      continue;
    }
    register_secret(*env_value);
    out += *env_value;
  }
  out += raw.substr(last);
  if (!ok) return std::nullopt;
  return out;
}

void Section::text(std::string_view key, std::string& out, std::string_view description,
                   TextRule rule) {
  if (describing()) {
    std::string bounds = rule.required ? "required" : "optional";
    if (rule.identifier) bounds += ", letters digits - _, 1..64 chars";
    if (rule.secret) bounds += ", secret (${ENV} recommended)";
    return document(key, "text", rule.secret ? "" : out, bounds, description);
  }
  const YAML::Node value = take(key);
  if (!value) {
    if (rule.required) error(key, "is required");
    return;
  }
  auto s = scalar(value, key);
  if (!s) return;
  if (rule.secret) register_secret(*s);
  if (rule.required && s->empty()) return error(key, "must not be empty");
  if (rule.identifier && !is_identifier(*s)) {
    return error(key, "'" + redact(*s) + "' must be 1 to 64 letters, digits, '-' or '_'");
  }
  if (s->size() > rule.max_length) {
    return error(key, fmt::format("is longer than {} characters", rule.max_length));
  }
  out = std::move(*s);
}

void Section::flag(std::string_view key, bool& out, std::string_view description) {
  if (describing())
    return document(key, "flag", out ? "true" : "false", "true | false", description);
  const YAML::Node value = take(key);
  if (!value) return;
  auto s = scalar(value, key);
  if (!s) return;
  if (*s == "true" || *s == "yes" || *s == "on") {
    out = true;
  } else if (*s == "false" || *s == "no" || *s == "off") {
    out = false;
  } else {
    error(key, "'" + *s + "' is not true or false");
  }
}

void Section::number(std::string_view key, double& out, double min, double max,
                     std::string_view description) {
  if (describing()) {
    return document(key, "number", format_number(out),
                    format_number(min) + " .. " + format_number(max), description);
  }
  const YAML::Node value = take(key);
  if (!value) return;
  auto s = scalar(value, key);
  if (!s) return;
  char* end = nullptr;
  const double v = std::strtod(s->c_str(), &end);
  if (s->empty() || end != s->c_str() + s->size() || !std::isfinite(v)) {
    return error(key, "'" + *s + "' is not a number");
  }
  if (v < min || v > max) {
    return error(key, fmt::format("{} is out of bounds ({} .. {})", format_number(v),
                                  format_number(min), format_number(max)));
  }
  out = v;
}

void Section::integer(std::string_view key, int& out, int min, int max,
                      std::string_view description) {
  if (describing()) {
    return document(key, "integer", std::to_string(out),
                    std::to_string(min) + " .. " + std::to_string(max), description);
  }
  const YAML::Node value = take(key);
  if (!value) return;
  auto s = scalar(value, key);
  if (!s) return;
  char* end = nullptr;
  const long v = std::strtol(s->c_str(), &end, 10);
  if (s->empty() || end != s->c_str() + s->size()) {
    return error(key, "'" + *s + "' is not a whole number");
  }
  if (v < min || v > max) {
    return error(key, fmt::format("{} is out of bounds ({} .. {})", v, min, max));
  }
  out = static_cast<int>(v);
}

namespace {

std::optional<Point> parse_point(const YAML::Node& n, std::string& why) {
  if (!n.IsSequence() || n.size() != 2 || !n[0].IsScalar() || !n[1].IsScalar()) {
    why = "a point is written [x, y]";
    return std::nullopt;
  }
  double xy[2];
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string s = n[i].Scalar();
    char* end = nullptr;
    xy[i] = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(xy[i])) {
      why = "'" + s + "' is not a number";
      return std::nullopt;
    }
  }
  return Point{xy[0], xy[1]};
}

}  // namespace

void Section::point(std::string_view key, std::optional<Point>& out, std::string_view description) {
  if (describing()) return document(key, "point", "", "[x, y], optional", description);
  const YAML::Node value = take(key);
  if (!value) return;
  std::string why;
  auto p = parse_point(value, why);
  if (!p) return error(key, why);
  out = p;
}

void Section::points(std::string_view key, std::vector<Point>& out, std::size_t min_count,
                     std::size_t max_count, std::string_view description, bool required) {
  if (describing()) {
    return document(key, "points", "",
                    fmt::format("{} .. {} points [[x, y], ...]{}", min_count, max_count,
                                required ? ", required" : ""),
                    description);
  }
  const YAML::Node value = take(key);
  if (!value) {
    if (required) error(key, "is required");
    return;
  }
  if (!value.IsSequence()) return error(key, "expected a list of points [[x, y], ...]");
  std::vector<Point> pts;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string why;
    auto p = parse_point(value[i], why);
    if (!p) {
      ctx_.errors.push_back(
          {fmt::format("{}[{}]", child_path(key), i), why, vigie::config::line_of(value[i])});
      return;
    }
    pts.push_back(*p);
  }
  if (pts.size() < min_count || pts.size() > max_count) {
    if (min_count == max_count) {
      return error(key, fmt::format("needs exactly {} points, found {}", min_count, pts.size()));
    }
    if (pts.size() < min_count) {
      return error(key, fmt::format("needs at least {} points, found {}", min_count, pts.size()));
    }
    return error(key, fmt::format("allows at most {} points, found {}", max_count, pts.size()));
  }
  out = std::move(pts);
}

void Section::integers(std::string_view key, std::vector<int>& out, int min, int max,
                       std::string_view description) {
  if (describing()) {
    std::string current;
    for (int v : out) current += (current.empty() ? "" : ", ") + std::to_string(v);
    return document(key, "integers", "[" + current + "]",
                    std::to_string(min) + " .. " + std::to_string(max), description);
  }
  const YAML::Node value = take(key);
  if (!value) return;
  if (!value.IsSequence()) return error(key, "expected a list, e.g. [0, 2]");
  std::vector<int> items;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string where = fmt::format("{}[{}]", child_path(key), i);
    const std::string s = value[i].IsScalar() ? value[i].Scalar() : std::string();
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || v < min || v > max) {
      ctx_.errors.push_back({where,
                             fmt::format("'{}' is not a whole number in {} .. {}", s, min, max),
                             vigie::config::line_of(value[i])});
      return;
    }
    items.push_back(static_cast<int>(v));
  }
  out = std::move(items);
}

void Section::texts(std::string_view key, std::vector<std::string>& out,
                    std::string_view description, TextRule rule) {
  if (describing()) return document(key, "texts", "", "list of text", description);
  const YAML::Node value = take(key);
  if (!value) return;
  if (!value.IsSequence()) return error(key, "expected a list, e.g. [a, b]");
  std::vector<std::string> items;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string where = fmt::format("{}[{}]", child_path(key), i);
    if (!value[i].IsScalar()) {
      ctx_.errors.push_back({where, "expected a single value", vigie::config::line_of(value[i])});
      return;
    }
    const std::string s = value[i].Scalar();
    if (rule.identifier && !is_identifier(s)) {
      ctx_.errors.push_back({where, "'" + s + "' must be 1 to 64 letters, digits, '-' or '_'",
                             vigie::config::line_of(value[i])});
      return;
    }
    items.push_back(s);
  }
  out = std::move(items);
}

void Section::section(std::string_view key, std::string_view description,
                      const std::function<void(Section&)>& parse) {
  if (describing()) {
    document(key, "section", "", "", description);
    Section s(YAML::Node(), child_path(key), ctx_);
    parse(s);
    return;
  }
  Section s(take(key), child_path(key), ctx_);
  parse(s);
}

void Section::list_impl(std::string_view key, std::string_view description, std::size_t& count,
                        const std::function<void(const YAML::Node&, const std::string&)>& parse) {
  if (describing()) {
    document(key, "list", "", "", description);
    parse(YAML::Node(), child_path(key) + "[]");
    return;
  }
  const YAML::Node value = take(key);
  if (!value) return;
  if (!value.IsSequence()) {
    return error(key, std::string("expected a list (- item), found ") + node_kind(value));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    parse(value[i], fmt::format("{}[{}]", child_path(key), i));
    ++count;
  }
}

}  // namespace vigie::config
