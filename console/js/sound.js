// One distinct tone per event type, synthesised with the Web Audio API (no audio files), and
// the alarm of a lost connection. Non-critical types can be muted per type, per operator (per
// user name, in localStorage) and only for a while: a mute ends by itself, so a shift cannot
// inherit a silence nobody remembers. Critical types and the connection alarm are never muted.
// Every tone started is counted in window.__vigieSounds (tests and troubleshooting).

import { isCritical } from './settings.js';

// [frequencies (Hz) played one after the other, duration of each (s), wave]
const TONES = {
  weapon: [[880, 660, 880, 660], 0.16, 'square'],
  fire: [[1046, 784, 1046], 0.2, 'sawtooth'],
  person_on_ground: [[523, 659, 784], 0.2, 'triangle'],
  crowd_movement: [[740, 740, 554], 0.18, 'square'],
  density: [[622, 466], 0.25, 'triangle'],
  intrusion: [[988, 740], 0.2, 'sine'],
  wrong_way: [[587, 880], 0.18, 'sine'],
  abandoned_object: [[440, 554, 440], 0.2, 'sine'],
  link_lost: [[392, 330, 392, 330, 262], 0.22, 'square'],
};

let context = null;
let user = '';
window.__vigieSounds = window.__vigieSounds || { started: 0, byType: {} };

function key(type) { return `vigie.mute.${user}.${type}`; }

export function setSoundUser(name) { user = name || ''; }

/** Until when (ms) `type` is muted; 0 when it is heard. An expired mute is forgotten. */
export function mutedUntil(type) {
  if (isCritical(type)) return 0;
  const until = Number(localStorage.getItem(key(type)) || 0);
  if (until && until <= Date.now()) localStorage.removeItem(key(type));
  return until > Date.now() ? until : 0;
}

export function setMutedUntil(type, until) {
  if (until > Date.now() && !isCritical(type)) localStorage.setItem(key(type), String(until));
  else localStorage.removeItem(key(type));
}

/** Creates or resumes the audio context; call from a user gesture (login, a click). */
export function unlockAudio() {
  try {
    if (!context) context = new (window.AudioContext || window.webkitAudioContext)();
    if (context.state === 'suspended') context.resume();
  } catch (e) {
    context = null;
  }
}

/** Plays the tone of an event type (or 'link_lost'); false when muted or without audio. */
export function playTone(type) {
  if (type !== 'link_lost' && mutedUntil(type)) return false;
  unlockAudio();
  if (!context) return false;
  const [freqs, step, wave] = TONES[type] || TONES.intrusion;
  const start = context.currentTime + 0.02;
  const gain = context.createGain();
  gain.connect(context.destination);
  gain.gain.setValueAtTime(0.0001, start);
  freqs.forEach((f, i) => {
    const osc = context.createOscillator();
    osc.type = wave;
    osc.frequency.setValueAtTime(f, start + i * step);
    osc.connect(gain);
    osc.start(start + i * step);
    osc.stop(start + (i + 1) * step);
  });
  const end = start + freqs.length * step;
  gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
  gain.gain.setValueAtTime(0.25, end - 0.05);
  gain.gain.exponentialRampToValueAtTime(0.0001, end);
  window.__vigieSounds.started += 1;
  window.__vigieSounds.byType[type] = (window.__vigieSounds.byType[type] || 0) + 1;
  window.__vigieSounds.lastAt = Date.now();
  return true;
}
