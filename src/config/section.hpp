#pragma once
// A strict reader for one YAML mapping. Each field is declared once, with its key, a
// one-line description and bounds; the current value of the target is its default.
// The same declarations serve to parse a document and to describe the schema
// (`vigie check-config --schema`), so the documentation cannot drift from the parser.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/geometry.hpp"

namespace vigie::config {

/// One problem in a document: `path: message (line N)`.
struct ConfigError {
  std::string path;
  std::string message;
  int line = 0;  ///< 1-based; 0 when unknown
  [[nodiscard]] std::string to_string() const;
};

/// One documented key of the schema, as produced in describe mode.
struct FieldDoc {
  std::string path;  ///< e.g. "cameras[].analysis.fps"
  std::string kind;  ///< "number", "integer", "text", "flag", "choice", "point", ...
  std::string default_value;
  std::string bounds;  ///< e.g. "0.2 .. 30", "tcp | udp", "3 .. 64 points"
  std::string description;
};

/// Shared state of one parse (or one description) run.
struct ParseContext {
  std::vector<ConfigError> errors;
  bool describing = false;  ///< collect FieldDocs instead of reading
  std::vector<FieldDoc> docs;
  /// Looks up ${NAME}; returns nullopt when unset. Defaults to getenv.
  std::function<std::optional<std::string>(const std::string&)> env;
};

/// Text rules for Section::text.
struct TextRule {
  bool required = false;
  bool secret = false;      ///< value registered with redact(); never printed
  bool identifier = false;  ///< letters, digits, '-' and '_' only, 1..64 chars
  std::size_t max_length = 4096;
};

class Section {
 public:
  /// Reads `node` (which must be a mapping, or null for "all defaults") at `path`.
  Section(const YAML::Node& node, std::string path, ParseContext& ctx);
  /// Reports every key of the mapping that no declaration consumed.
  ~Section();
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  void text(std::string_view key, std::string& out, std::string_view description,
            TextRule rule = {});
  void flag(std::string_view key, bool& out, std::string_view description);
  void number(std::string_view key, double& out, double min, double max,
              std::string_view description);
  void integer(std::string_view key, int& out, int min, int max, std::string_view description);
  /// A value from a closed list of names.
  template <typename E>
  void choice(std::string_view key, E& out,
              std::initializer_list<std::pair<std::string_view, E>> names,
              std::string_view description);
  /// An optional [x, y] pair.
  void point(std::string_view key, std::optional<Point>& out, std::string_view description);
  /// A list of [x, y] pairs with a count in [min_count, max_count].
  void points(std::string_view key, std::vector<Point>& out, std::size_t min_count,
              std::size_t max_count, std::string_view description, bool required = false);
  /// A list of whole numbers, each in [min, max].
  void integers(std::string_view key, std::vector<int>& out, int min, int max,
                std::string_view description);
  /// A list of strings, each checked by TextRule.
  void texts(std::string_view key, std::vector<std::string>& out, std::string_view description,
             TextRule rule = {});
  /// A nested mapping.
  void section(std::string_view key, std::string_view description,
               const std::function<void(Section&)>& parse);
  /// A list of mappings; `parse` fills one element.
  template <typename T>
  void list(std::string_view key, std::vector<T>& out, std::string_view description,
            const std::function<void(Section&, T&)>& parse);
  /// An optional nested mapping: present -> out holds a value.
  template <typename T>
  void optional_section(std::string_view key, std::optional<T>& out, std::string_view description,
                        const std::function<void(Section&, T&)>& parse);

  /// True when the mapping holds `key` (parse mode; false when describing).
  [[nodiscard]] bool has(std::string_view key) const;
  /// Accepts `key` without reading it: its value is judged elsewhere, or not at all.
  void skip(std::string_view key) { consumed_.emplace_back(key); }

  /// Records an error about `key` of this mapping (or the mapping itself when key is empty).
  void error(std::string_view key, std::string message);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool describing() const { return ctx_.describing; }
  /// 1-based line of `key`'s value, or of this mapping when absent.
  [[nodiscard]] int line_of(std::string_view key) const;

 private:
  /// The value under key, marking it consumed; null node when absent.
  YAML::Node take(std::string_view key);
  std::string child_path(std::string_view key) const;
  void document(std::string_view key, std::string kind, std::string default_value,
                std::string bounds, std::string_view description);
  /// Scalar text with ${ENV} substituted; nullopt (and an error) when not a scalar.
  std::optional<std::string> scalar(const YAML::Node& value, std::string_view key);
  void list_impl(std::string_view key, std::string_view description, std::size_t& count,
                 const std::function<void(const YAML::Node&, const std::string&)>& parse);

  YAML::Node node_;
  std::string path_;
  ParseContext& ctx_;
  std::vector<std::string> consumed_;
};

/// 1-based line of a node, or 0 when it has none.
int line_of(const YAML::Node& node);

// ---- template definitions ----

template <typename E>
void Section::choice(std::string_view key, E& out,
                     std::initializer_list<std::pair<std::string_view, E>> names,
                     std::string_view description) {
  std::string options, current;
  for (const auto& [name, value] : names) {
    options += (options.empty() ? "" : " | ") + std::string(name);
    if (value == out) current = name;
  }
  if (describing()) return document(key, "choice", current, options, description);
  const YAML::Node value = take(key);
  if (!value) return;
  const auto text_value = scalar(value, key);
  if (!text_value) return;
  for (const auto& [name, v] : names) {
    if (name == *text_value) {
      out = v;
      return;
    }
  }
  error(key, "'" + *text_value + "' is not one of " + options);
}

template <typename T>
void Section::list(std::string_view key, std::vector<T>& out, std::string_view description,
                   const std::function<void(Section&, T&)>& parse) {
  std::size_t count = 0;
  list_impl(key, description, count, [&](const YAML::Node& element, const std::string& path) {
    T item{};
    Section s(element, path, ctx_);
    parse(s, item);
    out.push_back(std::move(item));
  });
}

template <typename T>
void Section::optional_section(std::string_view key, std::optional<T>& out,
                               std::string_view description,
                               const std::function<void(Section&, T&)>& parse) {
  const bool present = describing() || static_cast<bool>(node_[std::string(key)]);
  if (!present) return;
  T value{};
  section(key, description, [&](Section& s) { parse(s, value); });
  if (!describing()) out = std::move(value);
}

}  // namespace vigie::config
