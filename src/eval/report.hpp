#pragma once
// Presenting an Evaluation: a terminal table, JSON, and a self-contained HTML report.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.hpp"
#include "eval/match.hpp"
#include "eval/metrics.hpp"
#include "eval/privacy_leaks.hpp"

namespace vigie::eval {

/// Fixed-width table, one row per event type: truth, TP, FP, FN, precision, recall, F1,
/// false alerts per camera-hour, TTD median and p95. Undefined values are shown as "—".
std::string format_table(const Evaluation& evaluation);

/// The JSON document described in docs/eval.md: {"events": {...}, "clips": [...]}, every
/// alert of every clip with the matched pairs. Undefined values are null, never NaN. Keys
/// keep the documented order.
nlohmann::ordered_json to_json(const Evaluation& evaluation);

/// One alert as written in the JSON: {"type", "start", "end", "region": [x,y,w,h], "score"},
/// and "model" (the confirming detector model's SHA-256) when a detector confirmed it.
nlohmann::ordered_json alert_to_json(const ClipAlert& alert);

/// Reads alerts written by alert_to_json() (a JSON array, e.g. a parsed report's
/// clips[i].alerts). Errors are kInvalidArgument and
/// name `source` and the field, e.g. "alerts.json: [3].type: 'smoke' is not ...".
Result<std::vector<ClipAlert>> alerts_from_json(const nlohmann::json& array,
                                                std::string_view source);

/// A self-contained HTML page (inline CSS and SVG, no script, no external resource): a bar
/// chart of precision, recall and F1 per event type, the distribution of times to detect,
/// and one timeline per clip of truth intervals against alert marks. `title` is escaped.
/// `privacy`, when given, adds the leak measure with every leak listed.
std::string render_html(const Evaluation& evaluation, std::string_view title = "vigie evaluation",
                        const std::vector<PrivacyCheck>* privacy = nullptr);

}  // namespace vigie::eval
