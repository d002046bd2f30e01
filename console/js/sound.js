// One distinct tone per event type, synthesised with the Web Audio API (no audio files).
// Muting is per operator (per user name), remembered in localStorage. Every tone started is
// counted in window.__vigieSounds (tests and troubleshooting).

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
};

let context = null;
let user = '';
window.__vigieSounds = window.__vigieSounds || { started: 0, byType: {} };

function key() { return `vigie.mute.${user}`; }

export function setSoundUser(name) { user = name || ''; }
export function muted() { return localStorage.getItem(key()) === '1'; }
export function setMuted(m) { localStorage.setItem(key(), m ? '1' : '0'); }

/** Creates or resumes the audio context; call from a user gesture (login, a click). */
export function unlockAudio() {
  try {
    if (!context) context = new (window.AudioContext || window.webkitAudioContext)();
    if (context.state === 'suspended') context.resume();
  } catch (e) {
    context = null;
  }
}

export function playTone(type) {
  if (muted()) return false;
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
