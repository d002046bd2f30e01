// The queue pane: counts per type (each non-critical type with its own timed mute), filters
// by type and camera, repeated alerts grouped by camera + zone + type, and per row a
// thumbnail and the waiting time. Rows are buttons for the keyboard (Tab, then Enter).

import { get, post } from './api.js';
import { h, clear } from './dom.js';
import { t, typeName, fmtDate, fmtDuration } from './i18n.js';
import { PRIORITY, waitedS, escalated } from './store.js';
import { settings, isCritical } from './settings.js';
import { mutedUntil, setMutedUntil, unlockAudio } from './sound.js';

const filters = { type: '', camera: '' };  // kept while the session lasts

export function groupKey(a) { return `${a.camera}|${a.zone}|${a.type}`; }

/** Open alerts grouped by camera + zone + type, in queue order (a group where its lead is). */
export function groupsOf(queue) {
  const groups = new Map();
  for (const a of queue) {
    const k = groupKey(a);
    if (!groups.has(k)) groups.set(k, { key: k, lead: a, alerts: [] });
    groups.get(k).alerts.push(a);
  }
  return [...groups.values()];
}

// Each thumbnail is fetched once per session (each fetch is an evidence view, journaled).
const thumbs = new Map();
function thumbnail(id) {
  if (!thumbs.has(id)) {
    const p = get(`/api/v1/alerts/${id}`).then(async (a) => {
      const snap = a.evidence.find((e) => e.kind === 'snapshot');
      if (snap && snap.available === false) return null;  // on another node's disk
      if (!snap) {
        setTimeout(() => thumbs.delete(id), 5000);  // written a few seconds after the alert
        return null;
      }
      const r = await fetch(snap.url, { credentials: 'same-origin' });
      return r.ok ? URL.createObjectURL(await r.blob()) : null;
    }).catch(() => null);
    thumbs.set(id, p);
  }
  return thumbs.get(id);
}

export class QueuePane {
  constructor(ctx, { judges }) {
    this.ctx = ctx;
    this.judges = judges;
    this.count = h('span.count', { 'data-testid': 'open-count' });
    this.counts = h('div.type-counts', { 'data-testid': 'type-counts' });
    this.typeSel = h('select', { id: 'filter-type', onchange: () => { filters.type = this.typeSel.value; ctx.store.emit(); } });
    this.camSel = h('select', { id: 'filter-camera', onchange: () => { filters.camera = this.camSel.value; ctx.store.emit(); } });
    this.list = h('ol.queue', { 'data-testid': 'queue' });
    this.dot = h('span.live', { id: 'live-dot', title: 'SSE' });
    this.el = h('div',
      h('h2', {}, t('alerts.queue'), this.count, this.dot),
      this.counts,
      h('div.filters', {}, h('label', {}, t('alerts.filter_type'), this.typeSel),
        h('label', {}, t('alerts.filter_camera'), this.camSel)),
      this.list);
    this.timer = setInterval(() => this.refreshWaits(), 1000);
  }

  destroy() { clearInterval(this.timer); }

  /** The groups shown, filters applied. */
  visibleGroups() {
    const q = this.ctx.store.queue()
      .filter((a) => (!filters.type || a.type === filters.type) && (!filters.camera || a.camera === filters.camera));
    return groupsOf(q);
  }

  render(selected) {
    const store = this.ctx.store;
    const all = store.queue();
    this.count.textContent = t('alerts.open_count', { n: all.length });
    this.dot.classList.toggle('on', store.connected);
    this.renderCounts(all);
    this.renderFilters(all);
    clear(this.list);
    const groups = this.visibleGroups();
    if (!groups.length) this.list.append(h('li.empty', { text: t('alerts.empty') }));
    for (const g of groups) this.list.append(this.row(g, selected));
  }

  renderCounts(all) {
    const n = {};
    for (const a of all) n[a.type] = (n[a.type] || 0) + 1;
    clear(this.counts);
    for (const type of Object.keys(n).sort((x, y) => PRIORITY[x] - PRIORITY[y])) {
      const until = mutedUntil(type);
      const mute = isCritical(type) || !this.judges ? null : h('button.link.mute', {
        'data-type': type,
        'aria-pressed': until ? 'true' : 'false',
        title: until ? t('alerts.unmute_type', { at: fmtDate(until, 'time') }) : t('alerts.mute_type', { m: settings().mute_minutes }),
        text: until ? '\u266A\u2715' : '\u266A',
        onclick: () => this.toggleMute(type),
      });
      this.counts.append(h(`span.type-count.p${PRIORITY[type] || 9}`, { 'data-type': type },
        h('span', { text: `${typeName(type)} ${n[type]}` }), mute));
    }
  }

  async toggleMute(type) {
    unlockAudio();
    const muted = !mutedUntil(type);
    try {
      // Journaled by the node, which also refuses to mute a critical type.
      const r = await post('/api/v1/console/mute', { type, muted });
      setMutedUntil(type, muted ? r.until_ms : 0);
    } catch (e) { /* not muted */ }
    this.ctx.store.emit();
  }

  renderFilters(all) {
    const options = (sel, values, name, current) => {
      clear(sel).append(h('option', { value: '', text: t('alerts.all') }),
        ...values.map((v) => h('option', { value: v, text: name(v), selected: v === current })));
    };
    const types = [...new Set([...all.map((a) => a.type), filters.type].filter(Boolean))]
      .sort((x, y) => PRIORITY[x] - PRIORITY[y]);
    const cams = [...new Set([...this.ctx.cameras.map((c) => c.id), ...all.map((a) => a.camera)])];
    options(this.typeSel, types, typeName, filters.type);
    options(this.camSel, cams, (c) => this.ctx.cameraName(c), filters.camera);
  }

  row(g, selected) {
    const a = g.lead;
    const open = () => this.ctx.go(`#/alerts/${a.id}`);
    const img = h('img.thumb', { alt: '' });
    if (this.judges) {
      thumbnail(a.id).then((url) => { if (url) img.src = url; });
    }
    const isSel = g.alerts.some((x) => x.id === selected);
    return h(`li.p${PRIORITY[a.type] || 9}`, {
      'data-id': a.id,
      'data-group': g.key,
      class: `p${PRIORITY[a.type] || 9}${isSel ? ' selected' : ''} ${a.state}${escalated(a) ? ' escalated' : ''}`,
      tabindex: '0',
      role: 'button',
      onclick: open,
      onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); } },
    },
    img,
    h('span.type', {}, typeName(a.type),
      g.alerts.length > 1 ? h('span.group-count', { 'data-testid': 'group-count', text: ` ${t('alerts.group', { n: g.alerts.length })}` }) : null),
    h('span.time', { text: fmtDate(a.raised_ms, 'time') }),
    h('span.cam', { text: `${this.ctx.cameraName(a.camera)}${a.zone ? ' / ' + a.zone : ''}` }),
    h('span.wait', { 'data-raised': a.raised_ms, text: t('alerts.waiting', { d: fmtDuration(waitedS(a)) }) }));
  }

  refreshWaits() {
    for (const el of this.list.querySelectorAll('.wait')) {
      el.textContent = t('alerts.waiting', { d: fmtDuration((Date.now() - Number(el.dataset.raised)) / 1000) });
    }
  }
}

/** Recently judged alerts, for reference. */
export function recentList(ctx, n = 10) {
  return h('ol.queue.recent', {}, ctx.store.recent(n).map((a) => h(`li.p${PRIORITY[a.type] || 9}`, {
    'data-id': a.id, tabindex: '0', role: 'button',
    onclick: () => ctx.go(`#/alerts/${a.id}`),
    onkeydown: (ev) => { if (ev.key === 'Enter') ctx.go(`#/alerts/${a.id}`); },
  },
  h('span.type', { text: typeName(a.type) }),
  h('span.time', { text: fmtDate(a.raised_ms, 'time') }),
  h('span.cam', { text: ctx.cameraName(a.camera) }),
  h('span.state', { text: t(`state.${a.state}`) }))));
}
