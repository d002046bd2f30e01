#include "config/config.hpp"

namespace vigie::config {
namespace {

// RuleParams lists the types in EventType's order, so a type's alternative is its index.
template <std::size_t... I>
constexpr bool in_event_type_order(std::index_sequence<I...>) {
  return ((static_cast<std::size_t>(std::variant_alternative_t<I, RuleParams>::kType) == I) &&
          ...);
}
static_assert(in_event_type_order(std::make_index_sequence<std::variant_size_v<RuleParams>>{}));
static_assert(std::variant_size_v<RuleParams> == kAllEventTypes.size(),
              "every event type has its parameter struct");

/// Collects a parameter struct's keys and values (see fields() in rule_params.hpp).
struct Lister {
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  std::vector<std::string> integers;
  void number(std::string_view key, const double& v, double, double, std::string_view) {
    numbers.emplace_back(key, v);
  }
  void integer(std::string_view key, const int& v, int, int, std::string_view) {
    numbers.emplace_back(key, v);
    integers.emplace_back(key);
  }
  void identifiers(std::string_view key, const std::vector<std::string>& v, std::string_view) {
    lists.emplace_back(key, v);
  }
};

Lister list_params(const RuleParams& params) {
  Lister lister;
  std::visit(
      [&](auto p) {  // a copy: fields() is the same declaration that parses into the struct
        p.fields(lister);
      },
      params);
  return lister;
}

}  // namespace

RuleParams default_params(EventType type) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    RuleParams out;
    ((static_cast<std::size_t>(type) == I ? (out.emplace<I>(), true) : false) || ...);
    return out;
  }(std::make_index_sequence<std::variant_size_v<RuleParams>>{});
}

RuleConfig rule_defaults(EventType type) {
  RuleConfig r;
  r.params = default_params(type);
  const Hygiene h = std::visit([](const auto& p) { return p.kHygiene; }, r.params);
  r.inertia_s = h.inertia_s;
  r.clear_s = h.clear_s;
  r.cooldown_s = h.cooldown_s;
  return r;
}

std::vector<std::pair<std::string, double>> rule_parameters(const RuleConfig& r) {
  std::vector<std::pair<std::string, double>> p = {
      {"inertia_s", r.inertia_s}, {"clear_s", r.clear_s}, {"cooldown_s", r.cooldown_s}};
  for (auto& kv : list_params(r.params).numbers) p.push_back(std::move(kv));
  return p;
}

std::vector<std::string> integer_parameter_keys(const RuleConfig& r) {
  return list_params(r.params).integers;
}

std::vector<std::pair<std::string, std::vector<std::string>>> rule_lists(const RuleConfig& r) {
  return list_params(r.params).lists;
}

std::vector<std::string> parameter_keys(EventType type) {
  const Lister l = list_params(default_params(type));
  std::vector<std::string> keys;
  for (const auto& kv : l.numbers) keys.push_back(kv.first);
  for (const auto& kv : l.lists) keys.push_back(kv.first);
  return keys;
}

}  // namespace vigie::config
