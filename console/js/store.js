// The alerts the console knows, kept current by the live event stream (/api/v1/events). On
// opening (login, reload) and on every resume after a cut, the open alerts are read again and
// the stream resumes after the last event seen (?last_event_id), so nothing raised meanwhile
// is missed. Alerts waiting unopened are announced: banner, tone, count in the tab title.
// Critical ones (settings.js) sound again until someone opens them, and escalate when left
// waiting longer than the node's escalate_after_s.

import { get } from './api.js';
import { h, clear } from './dom.js';
import { t, typeName, fmtDate, fmtDuration } from './i18n.js';
import { playTone } from './sound.js';
import { settings, isCritical } from './settings.js';

// Most urgent first: life at stake, then crowd safety, then the rest.
export const PRIORITY = {
  weapon: 1,
  fire: 2,
  person_on_ground: 3,
  crowd_movement: 4,
  density: 5,
  intrusion: 6,
  wrong_way: 7,
  abandoned_object: 8,
};

export const OPEN_STATES = ['new', 'seen'];

// A critical alert nobody has opened sounds again this often.
const REPEAT_MS = 8000;
const TICK_MS = 1000;

/** Queue order: priority, then the alert waiting longest first. */
export function queueOrder(a, b) {
  return (PRIORITY[a.type] || 9) - (PRIORITY[b.type] || 9) || a.raised_ms - b.raised_ms || a.id - b.id;
}

/** Seconds an alert has been waiting. */
export function waitedS(a, now = Date.now()) { return (now - a.raised_ms) / 1000; }

/** A critical alert nobody opened, waiting longer than the node allows. */
export function escalated(a, now = Date.now()) {
  return isCritical(a.type) && a.state === 'new' && waitedS(a, now) > settings().escalate_after_s;
}

const EVENTS = ['alert.raised', 'alert.updated', 'alert.ended', 'alert.seen', 'alert.verdict',
  'alert.verdict_undone', 'alert.closed', 'alert.assigned', 'alert.commented', 'evidence.missing'];

export class AlertStore {
  constructor(ctx) {
    this.ctx = ctx;
    this.alerts = new Map();
    this.listeners = new Set();
    this.unannounced = [];  // waiting and not yet opened here: the banner's content
    this.lastRepeat = new Map();  // id -> when its tone last sounded
    this.source = null;
    this.lastEventId = 0;
    this.connected = false;
    // Operators and supervisors judge alerts: they get the banner and the sound.
    this.announces = ['operator', 'supervisor'].includes(ctx.me.role);
    window.__vigieBanner = window.__vigieBanner || [];
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  async open() {
    await this.resume();
  }

  /** Reads the open alerts again, announces those waiting, and (re)opens the stream. */
  async resume() {
    this.pause();
    try {
      const page = await get('/api/v1/alerts?limit=200');
      for (const a of page.alerts) this.alerts.set(a.id, a);
    } catch (e) { /* the stream fills in */ }
    this.announceWaiting();
    const after = this.lastEventId ? `?last_event_id=${this.lastEventId}` : '';
    this.source = new EventSource(`/api/v1/events${after}`);
    for (const name of EVENTS) {
      this.source.addEventListener(name, (ev) => this.onEvent(name, ev));
    }
    this.source.onopen = () => { this.connected = true; this.emit(); };
    this.source.onerror = () => {
      // The link decides whether the node is gone and when to resume; a browser retrying on
      // its own would also retry a session the node no longer knows.
      this.pause();
      this.ctx.link?.suspect();
    };
  }

  /** Closes the stream (the link is down); the alerts stay, marked as possibly stale. */
  pause() {
    if (this.source) this.source.close();
    this.source = null;
    if (this.connected) {
      this.connected = false;
      this.emit();
    }
  }

  close() {
    this.pause();
    clearInterval(this.ticker);
    const banner = document.getElementById('banner');
    banner.hidden = true;
    clear(banner);
    document.title = 'vigie';
  }

  onEvent(name, ev) {
    let alert;
    try { alert = JSON.parse(ev.data); } catch (e) { return; }
    const seq = Number(ev.lastEventId);
    if (seq > this.lastEventId) this.lastEventId = seq;
    const known = this.alerts.has(alert.id);
    this.alerts.set(alert.id, alert);
    if (name === 'alert.raised' && !known) this.announce([alert]);
    if (alert.state !== 'new') this.forget(alert.id);
    this.emit();
  }

  /** Announces the open alerts nobody has opened yet (at login, reload and resume). */
  announceWaiting() {
    const waiting = this.queue().filter((a) => a.state === 'new' && !this.unannounced.includes(a.id));
    if (waiting.length) this.announce(waiting, true);
    this.renderBanner();
    this.renderTitle();
  }

  announce(list, waiting = false) {
    const fresh = list.filter((a) => !a.calibration && OPEN_STATES.includes(a.state));
    if (!this.announces || !fresh.length) return;
    fresh.sort(queueOrder);
    for (const a of fresh) {
      this.unannounced.push(a.id);
      this.lastRepeat.set(a.id, Date.now());
    }
    // One tone for the batch: the most urgent type's.
    const sounded = playTone(fresh[0].type);
    this.renderBanner();
    for (const a of fresh) {
      window.__vigieBanner.push({ id: a.id, type: a.type, raised_ms: a.raised_ms, shown_ms: Date.now(), sounded, waiting });
    }
    this.renderTitle();
  }

  /** The banner stops announcing an alert once it is opened (here or by anyone) or judged. */
  forget(id) {
    const before = this.unannounced.length;
    this.unannounced = this.unannounced.filter((x) => x !== id);
    this.lastRepeat.delete(id);
    if (before !== this.unannounced.length) this.renderBanner();
    this.renderTitle();
  }

  /** Critical alerts sound again until opened; escalation shows once their wait is too long. */
  tick() {
    const now = Date.now();
    for (const id of this.unannounced) {
      const a = this.alerts.get(id);
      if (!a || a.state !== 'new' || !isCritical(a.type)) continue;
      if (now - (this.lastRepeat.get(id) || 0) >= REPEAT_MS) {
        this.lastRepeat.set(id, now);
        playTone(a.type);
      }
    }
    if (this.unannounced.length) this.renderBanner();
    this.renderTitle();
  }

  renderTitle() {
    const n = this.queue().length;
    document.title = n ? `(${n}) vigie` : 'vigie';
  }

  renderBanner() {
    const banner = document.getElementById('banner');
    const ids = this.unannounced.filter((id) => this.alerts.has(id));
    if (!ids.length) {
      clear(banner).hidden = true;
      return;
    }
    // The most urgent one is shown, the others counted.
    const list = ids.map((id) => this.alerts.get(id)).sort(queueOrder);
    const a = list[0];
    const alarm = escalated(a);
    clear(banner);
    banner.className = `banner p${PRIORITY[a.type] || 9}${alarm ? ' escalated' : ''}`;
    banner.dataset.alert = a.id;
    banner.append(...[
      h('strong', { text: `${t('banner.new')} : ${typeName(a.type)}` }),
      h('span', { text: ` \u2014 ${this.ctx.cameraName(a.camera)}${a.zone ? ` / ${a.zone}` : ''} \u2014 ${fmtDate(a.raised_ms, 'time')}` }),
      alarm ? h('span.escalation', { 'data-testid': 'escalation', text: t('banner.escalated', { d: fmtDuration(waitedS(a)) }) }) : null,
      list.length > 1 ? h('span.more', { text: t('banner.more', { n: list.length - 1 }) }) : null,
      h('button.primary', { onclick: () => this.ctx.go(`#/alerts/${a.id}`), text: t('banner.open') }),
    ].filter(Boolean));
    banner.hidden = false;
  }

  /** Alerts awaiting a verdict, in queue order. Calibration alerts are left out. */
  queue() {
    return [...this.alerts.values()]
      .filter((a) => OPEN_STATES.includes(a.state) && !a.calibration)
      .sort(queueOrder);
  }

  recent(n = 20) {
    return [...this.alerts.values()]
      .filter((a) => !OPEN_STATES.includes(a.state))
      .sort((a, b) => (b.verdict_ms || b.updated_ms) - (a.verdict_ms || a.updated_ms))
      .slice(0, n);
  }

  update(alert) {
    this.alerts.set(alert.id, alert);
    if (alert.state !== 'new') this.forget(alert.id);
    this.emit();
  }

  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  emit() { for (const f of this.listeners) f(); }
}
