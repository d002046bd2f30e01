// The link to the node. Alerts that silently stop arriving are worse than no console, so a
// lost link shows a full-width banner and sounds an alarm within seconds (the event stream's
// error is checked at once, and /healthz is polled every 1.5 s with a 3 s deadline), greys
// the wall, and, when the node answers again, the console resumes: the store re-reads the
// open alerts and resumes the event stream after the last event it saw. A node that
// restarted has forgotten its sessions: the console says so instead of showing a bare login.

import { h, clear } from './dom.js';
import { t, fmtDate } from './i18n.js';
import { playTone } from './sound.js';

const POLL_MS = 1500;
const DEADLINE_MS = 3000;
const ALARM_REPEAT_MS = 15000;
const BACK_SHOWN_MS = 6000;

async function reachable() {
  try {
    const r = await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(DEADLINE_MS) });
    return r.ok;
  } catch (e) {
    return false;
  }
}

/** 'ok', 'ended' (401: the node no longer knows the session) or 'error'. */
async function sessionState() {
  try {
    const r = await fetch('/api/v1/me', { cache: 'no-store', credentials: 'same-origin', signal: AbortSignal.timeout(DEADLINE_MS) });
    return r.ok ? 'ok' : r.status === 401 ? 'ended' : 'error';
  } catch (e) {
    return 'error';
  }
}

export class Link {
  /**
   * onBack(): the node answers and the session is valid: resume.
   * onSessionEnded(restarted): the node answers but no longer knows the session.
   */
  constructor({ onBack, onSessionEnded }) {
    this.onBack = onBack;
    this.onSessionEnded = onSessionEnded;
    this.downSince = 0;   // ms; 0 while the link is up
    this.checking = false;
    this.streamFailed = false;
    this.timer = null;
    this.lastAlarm = 0;
    this.banner = document.getElementById('link-banner');
    window.__vigieLink = window.__vigieLink || [];
  }

  get down() { return this.downSince > 0; }

  start() {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      await this.check();
      if (!this.stopped) this.timer = setTimeout(loop, POLL_MS);
    };
    loop();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.hide();
  }

  /** The event stream failed: find out now whether the node is gone. */
  suspect() {
    this.streamFailed = true;
    this.check();
  }

  async check() {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      if (!(await reachable())) {
        this.lost();
        return;
      }
      if (!this.down && !this.streamFailed) return;
      const session = await sessionState();
      if (session === 'error') return;  // answering, but not yet serving: look again
      const wasDown = this.down;
      this.streamFailed = false;
      this.downSince = 0;
      document.body.classList.remove('link-down');
      window.__vigieLink.push({ event: session === 'ok' ? 'back' : 'session_ended', at: Date.now() });
      if (session === 'ended') {
        this.hide();
        // Without a cut, an ended session is an expiry or a logout elsewhere; after one, the
        // node restarted (sessions live in its memory).
        this.onSessionEnded(wasDown);
        return;
      }
      if (wasDown) this.showBack();
      this.onBack(wasDown);
    } finally {
      this.checking = false;
    }
  }

  lost() {
    const first = !this.down;
    if (first) {
      this.downSince = Date.now();
      document.body.classList.add('link-down');
      window.__vigieLink.push({ event: 'lost', at: this.downSince });
    }
    if (first || Date.now() - this.lastAlarm > ALARM_REPEAT_MS) {
      this.lastAlarm = Date.now();
      const sounded = playTone('link_lost');
      window.__vigieLink.push({ event: 'alarm', at: this.lastAlarm, sounded });
    }
    clear(this.banner).append(h('strong', { text: t('link.lost', { at: fmtDate(this.downSince, 'time') }) }));
    this.banner.className = 'link-banner lost';
    this.banner.hidden = false;
  }

  showBack() {
    clear(this.banner).append(h('span', { text: t('link.back', { at: fmtDate(Date.now(), 'time') }) }));
    this.banner.className = 'link-banner back';
    this.banner.hidden = false;
    clearTimeout(this.backTimer);
    this.backTimer = setTimeout(() => { if (!this.down) this.hide(); }, BACK_SHOWN_MS);
  }

  hide() {
    if (!this.banner) return;
    this.banner.hidden = true;
    clear(this.banner);
  }
}
