#pragma once
// The public transparency information: which cameras are analysed, for which events, under
// which authorization, until when. Camera names only: never URLs, never internal ids.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_server.hpp"
#include "govern/governance.hpp"

namespace vigie::api {

/// The current and coming authorizations (revoked and expired ones are left out), each with
/// the names of its cameras; and each camera's present analysis state.
nlohmann::json transparency_json(const govern::Governance& governance,
                                 const std::vector<PublicCamera>& cameras,
                                 storage::TimeMs now_ms);

/// A time as the public near the cameras reads it: the node's local time with its offset,
/// "06/12/2026 13:31 (UTC+01:00)". The page is for people, who do not read UTC.
std::string local_time_text(storage::TimeMs ms);

/// A self-contained HTML page (no script) of transparency_json, in French and English; times
/// in the node's local time.
std::string transparency_html(const nlohmann::json& info);

}  // namespace vigie::api
