#include "api/transparency.hpp"

#include "core/html.hpp"

#include <chrono>
#include <ctime>
#include <map>

#include "core/html.hpp"
#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

std::string iso(storage::TimeMs ms) {
  return format_iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

// French names of the event types, beside the English wire names.
const char* french(const std::string& type) {
  static const std::map<std::string, const char*> names = {
      {"wrong_way", "circulation à contresens"},
      {"intrusion", "présence ou utilisation d'une zone interdite"},
      {"crowd_movement", "mouvement de foule"},
      {"density", "densité trop importante de personnes"},
      {"abandoned_object", "objet abandonné"},
      {"weapon", "présence ou utilisation d'armes"},
      {"person_on_ground", "personne au sol"},
      {"fire", "départ de feu"},
  };
  auto it = names.find(type);
  return it == names.end() ? "" : it->second;
}

std::string english(const std::string& type) {
  std::string out = type;
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

}  // namespace


nlohmann::json transparency_json(const govern::Governance& governance,
                                 const std::vector<PublicCamera>& cameras,
                                 storage::TimeMs now_ms) {
  std::map<CameraId, std::string> names;
  for (const auto& c : cameras) names[c.id] = c.name.empty() ? std::string("-") : c.name;

  nlohmann::json auths = nlohmann::json::array();
  for (const auto& a : governance.authorizations()) {
    if (a.revoked || a.end_ms <= now_ms) continue;
    nlohmann::json cams = nlohmann::json::array();
    for (const auto& id : a.cameras) {
      auto it = names.find(id);
      if (it != names.end()) cams.push_back(it->second);
    }
    nlohmann::json types = nlohmann::json::array();
    for (EventType t : a.event_types) types.push_back(std::string(to_string(t)));
    auths.push_back({{"reference", a.reference},
                     {"controller", a.controller},
                     {"start", iso(a.start_ms)},
                     {"end", iso(a.end_ms)},
                     {"start_ms", a.start_ms},
                     {"end_ms", a.end_ms},
                     {"in_force", a.start_ms <= now_ms},
                     {"cameras", cams},
                     {"event_types", types}});
  }
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& c : cameras) {
    const govern::Permit p = governance.permit(c.id);
    nlohmann::json types = nlohmann::json::array();
    for (EventType t : p.event_types) types.push_back(std::string(to_string(t)));
    cams.push_back({{"name", names[c.id]},
                    {"analysed", p.analyse},
                    {"event_types", p.analyse ? types : nlohmann::json::array()}});
  }
  nlohmann::json all_types = nlohmann::json::array();
  for (EventType t : kAllEventTypes) all_types.push_back(std::string(to_string(t)));
  return {{"generated_at", iso(now_ms)},
          {"generated_ms", now_ms},
          {"stopped", governance.global_stop().stopped},
          {"event_types", all_types},
          {"authorizations", auths},
          {"cameras", cams}};
}

std::string local_time_text(storage::TimeMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%d/%m/%Y %H:%M", &tm);
  const long offset_min = tm.tm_gmtoff / 60;
  char zone[48];
  std::snprintf(zone, sizeof zone, " (UTC%c%02ld:%02ld)", offset_min < 0 ? '-' : '+',
                std::labs(offset_min) / 60, std::labs(offset_min) % 60);
  return std::string(text) + zone;
}

std::string transparency_html(const nlohmann::json& info) {
  auto e = [](const nlohmann::json& v) { return html_escape(v.get<std::string>()); };
  auto type_list = [&](const nlohmann::json& types) {
    std::string out;
    for (const auto& t : types) {
      const std::string s = t.get<std::string>();
      if (!out.empty()) out += ", ";
      out += html_escape(french(s)) + " / " + html_escape(english(s));
    }
    return out.empty() ? std::string("-") : out;
  };
  auto local = [](const nlohmann::json& j, const char* key) {
    return html_escape(local_time_text(j.value(key, storage::TimeMs{0})));
  };
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>Vidéoprotection algorithmique : information du public / Public information"
       "</title>\n";
  h += "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
       "line-height:1.4}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
       "padding:.3em .5em;text-align:left;vertical-align:top}.en{color:#444}</style>\n";
  h += "</head>\n<body>\n";
  h += "<h1>Traitement algorithmique des images de vidéoprotection</h1>\n";
  h += "<p class=\"en\" lang=\"en\"><strong>Algorithmic analysis of CCTV images</strong></p>\n";
  h += "<p>Ce système signale à un opérateur humain, qui décide, huit types d'événements "
       "prédéterminés. Il n'identifie personne : aucune reconnaissance faciale, aucune donnée "
       "biométrique, aucun rapprochement avec d'autres fichiers. Il ne prend aucune décision "
       "seul.</p>\n";
  h += "<p class=\"en\" lang=\"en\">This system signals eight predetermined kinds of event to a "
       "human operator, who decides. It identifies no one: no facial recognition, no biometric "
       "data, no link with other files. It takes no decision on its own.</p>\n";
  if (info.value("stopped", false)) {
    h += "<p><strong>Le traitement est actuellement arrêté. / Analysis is currently stopped."
         "</strong></p>\n";
  }
  h += "<h2>Autorisations / Authorizations</h2>\n";
  if (info["authorizations"].empty()) {
    h += "<p>Aucune autorisation en cours ou à venir : aucune caméra n'est analysée.<br>"
         "<span class=\"en\" lang=\"en\">No current or coming authorization: no camera is "
         "analysed.</span></p>\n";
  } else {
    h += "<table>\n<tr><th>Arrêté / Order</th><th>Responsable / Controller</th>"
         "<th>Du / From</th><th>Au / Until</th><th>Caméras / Cameras</th>"
         "<th>Événements / Events</th></tr>\n";
    for (const auto& a : info["authorizations"]) {
      std::string cams;
      for (const auto& c : a["cameras"]) {
        if (!cams.empty()) cams += ", ";
        cams += e(c);
      }
      h += "<tr><td>" + e(a["reference"]) + "</td><td>" + e(a["controller"]) + "</td><td>" +
           local(a, "start_ms") + "</td><td>" + local(a, "end_ms") + "</td><td>" + cams +
           "</td><td>" +
           type_list(a["event_types"]) + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>Caméras / Cameras</h2>\n<table>\n<tr><th>Caméra / Camera</th>"
       "<th>Analysée maintenant / Analysed now</th><th>Événements / Events</th></tr>\n";
  for (const auto& c : info["cameras"]) {
    const bool on = c.value("analysed", false);
    h += "<tr><td>" + e(c["name"]) + "</td><td>" + (on ? "oui / yes" : "non / no") +
         "</td><td>" + type_list(c["event_types"]) + "</td></tr>\n";
  }
  h += "</table>\n";
  h += "<h2>Vos droits / Your rights</h2>\n";
  h += "<p>Les images ne sont conservées que le temps nécessaire, au plus 30 jours, et le "
       "journal des alertes 12 mois. Pour exercer vos droits, adressez-vous au responsable "
       "indiqué ci-dessus.<br><span class=\"en\" lang=\"en\">Images are kept only as long as "
       "needed, at most 30 days, and the journal of alerts 12 months. To exercise your rights, "
       "contact the controller named above.</span></p>\n";
  h += "<p><small>" + local(info, "generated_ms") + "</small></p>\n";
  if (const auto head = info.find("journal_head"); head != info.end() && head->is_object()) {
    h += "<p><small>Journal : dernier enregistrement / last record " +
         std::to_string(head->value("seq", std::int64_t{0})) + ", " +
         html_escape(head->value("hash", std::string())) + "</small></p>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace vigie::api
