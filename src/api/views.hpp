#pragma once
// The JSON shapes of the API (documented in api/openapi.yaml).

#include <nlohmann/json.hpp>

#include "api/api_server.hpp"
#include "govern/governance.hpp"
#include "storage/records.hpp"

namespace vigie::api {

nlohmann::json alert_json(const storage::AlertRecord& alert);
nlohmann::json comment_json(const storage::CommentRecord& comment);
/// `url`: where the file is served.
nlohmann::json evidence_json(const storage::EvidenceRecord& evidence, const std::string& url);
nlohmann::json authorization_json(const storage::AuthorizationRecord& authorization,
                                  storage::TimeMs now_ms);
nlohmann::json journal_json(const storage::JournalRecord& record);
/// Never the password hash.
nlohmann::json user_json(const storage::UserRecord& user);
nlohmann::json stop_json(const govern::StopInfo& stop);
nlohmann::json permit_json(const govern::Permit& permit);
nlohmann::json camera_json(const CameraView& camera, const govern::Permit& permit);

}  // namespace vigie::api
