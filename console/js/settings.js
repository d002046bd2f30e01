// The node's console settings (GET /api/v1/console): how long a critical alert may wait
// before it escalates, how long a mute lasts, the undo window, the dismissal reasons and the
// measures offered per type. Read once per session; defaults keep the console usable if the
// request fails.

import { get } from './api.js';

const DEFAULTS = {
  escalate_after_s: 60,
  mute_minutes: 15,
  verdict_undo_s: 10,
  critical_types: ['weapon', 'fire', 'person_on_ground'],
  reasons: [],
  measures: {},
};

let current = { ...DEFAULTS };
let loading = null;

/** Fetches the settings for a new session. */
export function loadSettings() {
  loading = get('/api/v1/console')
    .then((s) => { current = { ...DEFAULTS, ...s }; return current; })
    .catch(() => current);
  return loading;
}

export function settings() { return current; }
export function settingsReady() { return loading || loadSettings(); }

/** Critical types repeat their tone until opened, escalate, and cannot be muted. */
export function isCritical(type) { return current.critical_types.includes(type); }
