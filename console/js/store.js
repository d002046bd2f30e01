// The alerts the console knows, kept current by the live event stream (/api/v1/events:
// EventSource resumes after a cut with Last-Event-ID, so nothing raised meanwhile is missed).
// A new alert shows the banner at the top of the screen and plays its type's tone.

import { get } from './api.js';
import { h, clear } from './dom.js';
import { t, typeName, fmtDate } from './i18n.js';
import { playTone } from './sound.js';

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

/** Queue order: priority, then the alert waiting longest first. */
export function queueOrder(a, b) {
  return (PRIORITY[a.type] || 9) - (PRIORITY[b.type] || 9) || a.raised_ms - b.raised_ms || a.id - b.id;
}

const EVENTS = ['alert.raised', 'alert.updated', 'alert.ended', 'alert.seen', 'alert.verdict',
  'alert.closed', 'alert.assigned', 'alert.commented'];

export class AlertStore {
  constructor(ctx) {
    this.ctx = ctx;
    this.alerts = new Map();
    this.listeners = new Set();
    this.unannounced = [];  // raised and not yet opened: the banner's content
    this.source = null;
    this.connected = false;
    // Operators and supervisors judge alerts: they get the banner and the sound.
    this.announces = ['operator', 'supervisor'].includes(ctx.me.role);
    window.__vigieBanner = window.__vigieBanner || [];
  }

  async open() {
    try {
      const page = await get('/api/v1/alerts?limit=200');
      for (const a of page.alerts) this.alerts.set(a.id, a);
    } catch (e) { /* the stream fills in */ }
    this.source = new EventSource('/api/v1/events');
    for (const name of EVENTS) {
      this.source.addEventListener(name, (ev) => this.onEvent(name, ev));
    }
    this.source.onopen = () => { this.connected = true; this.emit(); };
    this.source.onerror = () => { this.connected = false; this.emit(); };
  }

  close() {
    if (this.source) this.source.close();
    this.source = null;
    const banner = document.getElementById('banner');
    banner.hidden = true;
    clear(banner);
  }

  onEvent(name, ev) {
    let alert;
    try { alert = JSON.parse(ev.data); } catch (e) { return; }
    const known = this.alerts.has(alert.id);
    this.alerts.set(alert.id, alert);
    if (name === 'alert.raised' && !known && !alert.calibration && this.announces) {
      this.announce(alert);
    }
    if (!OPEN_STATES.includes(alert.state)) this.forget(alert.id);
    this.emit();
  }

  announce(alert) {
    this.unannounced.push(alert.id);
    const sounded = playTone(alert.type);
    this.renderBanner();
    window.__vigieBanner.push({ id: alert.id, type: alert.type, raised_ms: alert.raised_ms,
      shown_ms: Date.now(), sounded });
    document.title = `(${this.unannounced.length}) vigie`;
  }

  /** The banner stops announcing an alert once it is opened or judged. */
  forget(id) {
    const before = this.unannounced.length;
    this.unannounced = this.unannounced.filter((x) => x !== id);
    if (before !== this.unannounced.length) this.renderBanner();
    document.title = this.unannounced.length ? `(${this.unannounced.length}) vigie` : 'vigie';
  }

  renderBanner() {
    const banner = clear(document.getElementById('banner'));
    const ids = this.unannounced.filter((id) => this.alerts.has(id));
    if (!ids.length) {
      banner.hidden = true;
      return;
    }
    // The most urgent one is shown, the others counted.
    const list = ids.map((id) => this.alerts.get(id)).sort(queueOrder);
    const a = list[0];
    banner.className = `banner p${PRIORITY[a.type] || 9}`;
    banner.dataset.alert = a.id;
    banner.append(...[
      h('strong', { text: `${t('banner.new')} : ${typeName(a.type)}` }),
      h('span', { text: ` \u2014 ${this.ctx.cameraName(a.camera)}${a.zone ? ` / ${a.zone}` : ''} \u2014 ${fmtDate(a.raised_ms, 'time')}` }),
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
    if (!OPEN_STATES.includes(alert.state)) this.forget(alert.id);
    this.emit();
  }

  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  emit() { for (const f of this.listeners) f(); }
}
