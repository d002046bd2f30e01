// The alert queue and the alert view: masked snapshot and clip with the zone drawn over
// them, verdict with reason codes, comment, assignment. Keyboard: c confirm, d then a number
// dismiss with that reason, n / j next, k previous, Escape back to the queue.

import { get, post } from './api.js';
import { h, s, clear } from './dom.js';
import { t, typeName, fmtDate, fmtNumber } from './i18n.js';
import { PRIORITY, OPEN_STATES } from './store.js';

const geometryCache = new Map();
async function cameraGeometry(camera) {
  if (!geometryCache.has(camera)) {
    geometryCache.set(camera, get(`/api/v1/cameras/${encodeURIComponent(camera)}/geometry`).catch(() => null));
  }
  return geometryCache.get(camera);
}

let reasonsPromise = null;
function reasons() {
  if (!reasonsPromise) reasonsPromise = get('/api/v1/reasons').then((r) => r.reasons).catch(() => []);
  return reasonsPromise;
}

function pts(list) { return list.map((p) => `${p[0]},${p[1]}`).join(' '); }

/** The SVG drawn over an evidence image: camera zones, the alert's zone, region and polygon. */
export function overlay(alert, geometry, width, height) {
  const svg = s('svg', { class: 'overlay', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none' });
  if (geometry) {
    for (const m of geometry.privacy_masks || []) svg.append(s('polygon', { points: pts(m.polygon), class: 'mask' }));
    for (const z of geometry.zones || []) {
      svg.append(s('polygon', { points: pts(z.polygon), class: z.id === alert.zone ? 'zone active' : 'zone' }));
    }
    for (const l of geometry.lines || []) {
      const [a, b] = l.points;
      svg.append(s('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: l.id === alert.zone ? 'wire active' : 'wire' }));
    }
  }
  if (alert.polygon && alert.polygon.length > 2) svg.append(s('polygon', { points: pts(alert.polygon), class: 'region' }));
  if (alert.region && alert.region.length === 4) {
    const [x, y, w, hh] = alert.region;
    svg.append(s('rect', { x, y, width: w, height: hh, class: 'region' }));
  }
  return svg;
}

export function mount(root, ctx, rest) {
  const store = ctx.store;
  const judges = ['operator', 'supervisor'].includes(ctx.me.role);
  let selected = rest && rest[0] ? Number(rest[0]) : null;
  let pendingDismiss = false;
  let detail = null;  // the selected alert with comments and evidence
  let evidenceTimer = null;

  const queueEl = h('ol.queue', { 'data-testid': 'queue' });
  const recentEl = h('ol.queue.recent');
  const viewEl = h('section.alert-view', { 'data-testid': 'alert-view' });
  root.append(h('div.alerts-page',
    h('aside.queue-pane',
      h('h2', {}, t('alerts.queue'), h('span.live', { id: 'live-dot', title: 'SSE' })),
      queueEl,
      h('h3', { text: t('alerts.handled') }),
      recentEl),
    viewEl));

  function item(a) {
    const li = h(`li.p${PRIORITY[a.type] || 9}`, {
      'data-id': a.id,
      class: `p${PRIORITY[a.type] || 9}${a.id === selected ? ' selected' : ''} ${a.state}`,
      onclick: () => ctx.go(`#/alerts/${a.id}`),
    },
    h('span.type', { text: typeName(a.type) }),
    h('span.cam', { text: `${ctx.cameraName(a.camera)}${a.zone ? ' / ' + a.zone : ''}` }),
    h('span.time', { text: fmtDate(a.raised_ms, 'time') }),
    h('span.state', { text: t(`state.${a.state}`) }));
    return li;
  }

  function renderQueue() {
    clear(queueEl);
    const q = store.queue();
    if (!q.length) queueEl.append(h('li.empty', { text: t('alerts.empty') }));
    for (const a of q) queueEl.append(item(a));
    clear(recentEl);
    for (const a of store.recent(10)) recentEl.append(item(a));
    const dot = document.getElementById('live-dot');
    if (dot) dot.classList.toggle('on', store.connected);
  }

  async function load(id) {
    clearTimeout(evidenceTimer);
    if (!id) {
      detail = null;
      renderView();
      return;
    }
    try {
      detail = await get(`/api/v1/alerts/${id}`);
    } catch (e) {
      detail = null;
      clear(viewEl).append(h('p.error', { text: e.message }));
      return;
    }
    store.forget(id);
    if (judges && detail.state === 'new') {
      try {
        const seen = await post(`/api/v1/alerts/${id}/seen`);
        store.update(seen);
        detail.state = seen.state;
      } catch (e) { /* judged meanwhile */ }
    }
    renderView();
    // Evidence is written some seconds after the alert: look again until it is there.
    if (!detail.evidence.some((e) => e.kind === 'clip')) {
      evidenceTimer = setTimeout(() => { if (selected === id) load(id); }, 3000);
    }
  }

  async function renderView() {
    clear(viewEl);
    if (!detail) {
      viewEl.append(h('p.muted', { text: t('alerts.pick') }), h('p.shortcuts', { text: t('alerts.shortcuts') }));
      return;
    }
    const a = detail;
    const geometry = await cameraGeometry(a.camera);
    if (detail !== a) return;
    const snapshot = a.evidence.find((e) => e.kind === 'snapshot');
    const clip = a.evidence.find((e) => e.kind === 'clip');
    const media = h('div.media');
    const sizeOf = (img) => [geometry?.source_width || img.naturalWidth || 1280,
      geometry?.source_height || img.naturalHeight || 720];
    if (snapshot) {
      const img = h('img', { src: snapshot.url, alt: t('alert.snapshot'), 'data-testid': 'snapshot' });
      const frame = h('figure.framed', {}, img, h('figcaption', { text: t('alert.snapshot') }));
      img.addEventListener('load', () => {
        const [w, hh] = sizeOf(img);
        frame.insertBefore(overlay(a, geometry, w, hh), frame.querySelector('figcaption'));
      });
      media.append(frame);
    }
    if (clip) {
      const video = h('video', { src: clip.url, controls: true, muted: true, loop: true, autoplay: true, playsinline: true });
      const frame = h('figure.framed', {}, video, h('figcaption', { text: t('alert.clip') }));
      video.addEventListener('loadedmetadata', () => {
        const w = geometry?.source_width || video.videoWidth;
        const hh = geometry?.source_height || video.videoHeight;
        frame.insertBefore(overlay(a, geometry, w, hh), frame.querySelector('figcaption'));
      });
      media.append(frame);
    }
    if (!snapshot && !clip) media.append(h('p.muted', { text: t('alert.evidence_wait') }));

    const facts = h('dl.facts',
      h('dt', { text: t('alert.camera') }), h('dd', { text: ctx.cameraName(a.camera) }),
      h('dt', { text: t('alert.zone') }), h('dd', { text: a.zone || '\u2013' }),
      h('dt', { text: t('alert.raised') }), h('dd', { text: fmtDate(a.raised_ms) }),
      h('dt', { text: t('alert.ended') }), h('dd', { text: a.ended_ms ? fmtDate(a.ended_ms) : t('alert.ongoing') }),
      h('dt', { text: t('alert.score') }), h('dd', { text: `${fmtNumber(a.score, 2)} \u2014 ${a.detail}` }),
      h('dt', { text: t('alert.assignee') }), h('dd', { text: a.assignee || '\u2013' }),
      a.verdict_by ? [h('dt', { text: t('alert.verdict_by') }),
        h('dd', { text: `${a.verdict_by} \u2014 ${fmtDate(a.verdict_ms)}${a.reason ? ' \u2014 ' + a.reason : ''}` })] : null);

    const head = h('header.alert-head', { class: `alert-head p${PRIORITY[a.type] || 9}` },
      h('h2', { text: `${typeName(a.type)} #${a.id}` }),
      h('span.badge', { 'data-testid': 'alert-state', text: t(`state.${a.state}`) }));

    const actions = h('div.actions');
    if (judges && OPEN_STATES.includes(a.state)) {
      const list = await reasons();
      const comment = h('textarea', { rows: 2, id: 'verdict-comment', placeholder: t('alert.verdict_comment') });
      actions.append(
        h('div.verdict',
          h('button.confirm', { id: 'confirm', onclick: () => verdict(true), text: t('alert.confirm') }),
          h('div.dismiss', {},
            h('button.dismiss', { id: 'dismiss', onclick: () => { pendingDismiss = true; renderView(); }, text: t('alert.dismiss') }),
            pendingDismiss ? h('p.hint', { text: t('alert.dismiss_pick') }) : null,
            h('ol.reasons', {}, list.map((r, i) => h('li', {},
              h('button.reason', { 'data-reason': r, onclick: () => verdict(false, r) }, `${i + 1}. ${r}`)))))),
        comment);
    } else if (!judges) {
      actions.append(h('p.muted', { text: t('alert.readonly') }));
    }
    if (judges) {
      const who = h('input', { id: 'assign-user', value: a.assignee || '', size: 12 });
      actions.append(h('div.assign',
        h('label', {}, t('alert.assign'), who),
        h('button', { onclick: () => { who.value = ctx.me.user; } , text: t('alert.assign_me') }),
        h('button', { onclick: () => act('assign', { user: who.value.trim() }), text: t('alert.assign_do') }),
        ['confirmed', 'dismissed'].includes(a.state)
          ? h('button', { onclick: () => act('close'), text: t('alert.close') }) : null));
      const text = h('textarea', { rows: 2, id: 'comment-text', placeholder: t('alert.comment') });
      actions.append(h('div.comment-add', text,
        h('button', { onclick: async () => {
          if (!text.value.trim()) return;
          await post(`/api/v1/alerts/${a.id}/comments`, { text: text.value.trim() });
          load(a.id);
        }, text: t('alert.comment_add') })));
    }
    const comments = h('ul.comments', {}, a.comments.map((c) => h('li', {},
      h('span.muted', { text: `${fmtDate(c.at_ms)} ${c.user}: ` }), c.text)));

    viewEl.append(head, h('div.alert-body', media, h('div.side', facts, actions,
      a.comments.length ? h('h3', { text: t('alert.comments') }) : null, comments)),
    h('p.shortcuts', { text: t('alerts.shortcuts') }));
  }

  async function act(what, body = {}) {
    if (!detail) return;
    try {
      const updated = await post(`/api/v1/alerts/${detail.id}/${what}`, body);
      store.update(updated);
      await load(detail.id);
    } catch (e) {
      viewEl.prepend(h('p.error', { text: e.message }));
    }
  }

  async function verdict(confirmed, reason) {
    if (!detail || !OPEN_STATES.includes(detail.state)) return;
    pendingDismiss = false;
    const comment = document.getElementById('verdict-comment')?.value || '';
    const body = confirmed ? { confirmed: true, comment } : { confirmed: false, reason, comment };
    const id = detail.id;
    try {
      const updated = await post(`/api/v1/alerts/${id}/verdict`, body);
      store.update(updated);
    } catch (e) {
      viewEl.prepend(h('p.error', { text: e.message }));
      return;
    }
    // Straight on to the next alert waiting, if any.
    const next = store.queue()[0];
    ctx.go(next ? `#/alerts/${next.id}` : `#/alerts/${id}`);
  }

  function step(delta) {
    const q = store.queue();
    if (!q.length) return;
    const i = q.findIndex((a) => a.id === selected);
    const next = i < 0 ? q[0] : q[(i + delta + q.length) % q.length];
    ctx.go(`#/alerts/${next.id}`);
  }

  async function onKey(ev) {
    if (ev.target.closest('input, textarea, select, dialog') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (pendingDismiss && /^[1-9]$/.test(ev.key)) {
      const list = await reasons();
      const r = list[Number(ev.key) - 1];
      if (r) verdict(false, r);
      return;
    }
    switch (ev.key) {
      case 'c': if (judges) verdict(true); break;
      case 'd': if (judges && detail) { pendingDismiss = true; renderView(); } break;
      case 'n': case 'j': step(1); break;
      case 'k': step(-1); break;
      case 'Escape': pendingDismiss = false; ctx.go('#/alerts'); break;
      default: return;
    }
    ev.preventDefault();
  }

  document.addEventListener('keydown', onKey);
  const unsubscribe = store.subscribe(() => {
    renderQueue();
    const a = selected && store.alerts.get(selected);
    if (detail && a && a.state !== detail.state) load(selected);
  });
  renderQueue();
  load(selected);
  return () => {
    document.removeEventListener('keydown', onKey);
    unsubscribe();
    clearTimeout(evidenceTimer);
  };
}
