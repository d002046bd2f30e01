// The alert page: the queue pane (queue.js) and the alert view: masked snapshot and clip with
// the zone drawn over them, verdict with reason codes (guarded by verdict.js), comment,
// assignment. Keyboard: c confirm, d then a number dismiss with that reason, u undo, n next
// (opened without marking it seen), j / k next / previous, Escape back to the queue.

import { get, post } from './api.js';
import { h, s, clear } from './dom.js';
import { t, typeName, fmtDate, fmtNumber, codeName, errorText } from './i18n.js';
import { PRIORITY, OPEN_STATES } from './store.js';
import { settings } from './settings.js';
import { QueuePane, groupsOf, groupKey, recentList } from './queue.js';
import { Arming, askMeasures } from './verdict.js';

const geometryCache = new Map();
async function cameraGeometry(camera) {
  if (!geometryCache.has(camera)) {
    geometryCache.set(camera, get(`/api/v1/cameras/${encodeURIComponent(camera)}/geometry`).catch(() => null));
  }
  return geometryCache.get(camera);
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

/** An evidence image or clip, or why it cannot be shown (never a broken image). */
function evidenceFigure(a, item, geometry, judges) {
  const caption = t(item.kind === 'clip' ? 'alert.clip' : 'alert.snapshot');
  if (!judges) return h('p.muted.evidence-note', { 'data-testid': 'evidence-forbidden', text: t('alert.evidence_forbidden') });
  if (item.available === false) {
    return h('p.error', { 'data-testid': 'evidence-unavailable', text: t('alert.evidence_error', { why: item.unavailable_reason || '' }) });
  }
  const media = item.kind === 'clip'
    ? h('video', { src: item.url, controls: true, muted: true, loop: true, autoplay: true, playsinline: true })
    : h('img', { src: item.url, alt: caption, 'data-testid': 'snapshot' });
  const frame = h('figure.framed', {}, media, h('figcaption', { text: caption }));
  media.addEventListener(item.kind === 'clip' ? 'loadedmetadata' : 'load', () => {
    const w = geometry?.source_width || media.naturalWidth || media.videoWidth || 1280;
    const hh = geometry?.source_height || media.naturalHeight || media.videoHeight || 720;
    frame.insertBefore(overlay(a, geometry, w, hh), frame.querySelector('figcaption'));
  });
  media.addEventListener('error', async () => {
    let why = '';
    try {
      const r = await fetch(item.url, { method: 'GET', credentials: 'same-origin' });
      why = r.ok ? '' : ((await r.json().catch(() => null))?.error?.message || `HTTP ${r.status}`);
    } catch (e) { why = e.message; }
    frame.replaceWith(h('p.error', { text: t('alert.evidence_error', { why }) }));
  });
  return frame;
}

export function mount(root, ctx, rest) {
  const store = ctx.store;
  const judges = ['operator', 'supervisor'].includes(ctx.me.role);
  const selected = rest && rest[0] ? Number(rest[0]) : null;
  // `n` opens the next alert without marking it seen: the operator may only be looking ahead.
  const peek = rest && rest[1] === 'peek';
  let pendingDismiss = false;
  let detail = null;  // the selected alert with comments and evidence
  let evidenceTimer = null;
  let renderSeq = 0;
  // Each alert shown (every route change mounts the page again) arms its buttons afresh.
  const arming = new Arming();

  const pane = new QueuePane(ctx, { judges });
  const recentEl = h('div');
  const viewEl = h('section.alert-view', { 'data-testid': 'alert-view' });
  root.append(h('div.alerts-page',
    h('aside.queue-pane', pane.el, h('h3', { text: t('alerts.handled') }), recentEl),
    viewEl));

  function renderQueue() {
    pane.render(selected);
    clear(recentEl).append(recentList(ctx));
  }

  /** The alerts a verdict on the selected one applies to: its whole group, when it leads one. */
  function group() {
    if (!detail) return [];
    const g = groupsOf(store.queue()).find((x) => x.key === groupKey(detail));
    return g && g.alerts.some((a) => a.id === detail.id) ? g.alerts : [detail];
  }

  async function load(id) {
    clearTimeout(evidenceTimer);
    if (!id) {
      detail = null;
      renderView();
      return;
    }
    let got;
    try {
      got = await get(`/api/v1/alerts/${id}`);
    } catch (e) {
      detail = null;
      clear(viewEl).append(h('p.error', { text: errorText(e) }));
      return;
    }
    if (selected !== id) return;
    detail = got;
    store.forget(id);  // opened here: no more banner or repeated tone for it
    if (judges && detail.state === 'new' && !peek) {
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
    // Renders may overlap (a load, a store update): only the latest one draws, once.
    const seq = ++renderSeq;
    const a = detail;
    const geometry = a ? await cameraGeometry(a.camera) : null;
    const list = settings().reasons;
    if (seq !== renderSeq) return;
    clear(viewEl);
    if (!a) {
      viewEl.append(h('p.muted', { text: t('alerts.pick') }), h('p.shortcuts', { text: t('alerts.shortcuts') }));
      return;
    }
    const media = h('div.media');
    const items = a.evidence.filter((e) => e.kind === 'snapshot' || e.kind === 'clip');
    if (!judges) media.append(evidenceFigure(a, {}, geometry, false));
    else for (const e of items) media.append(evidenceFigure(a, e, geometry, true));
    if (judges && !items.length) media.append(h('p.muted', { text: a.evidence_note || t('alert.evidence_wait') }));

    const members = OPEN_STATES.includes(a.state) ? group() : [a];
    const facts = h('dl.facts',
      h('dt', { text: t('alert.camera') }),
      h('dd', {}, ctx.cameraName(a.camera), ' ',
        h('a.live-link', { href: `#/wall/${encodeURIComponent(a.camera)}`, 'data-testid': 'live-link', text: t('alert.live_link') })),
      h('dt', { text: t('alert.zone') }), h('dd', { text: a.zone || '\u2013' }),
      h('dt', { text: t('alert.raised') }), h('dd', { text: fmtDate(a.raised_ms) }),
      h('dt', { text: t('alert.ended') }), h('dd', { text: a.ended_ms ? fmtDate(a.ended_ms) : t('alert.ongoing') }),
      h('dt', { text: t('alert.score') }), h('dd', { text: `${fmtNumber(a.score, 2)} \u2014 ${a.detail}` }),
      h('dt', { text: t('alert.assignee') }), h('dd', { text: a.assignee || '\u2013' }),
      a.verdict_by ? [h('dt', { text: t('alert.verdict_by') }),
        h('dd', { text: `${a.verdict_by} \u2014 ${fmtDate(a.verdict_ms)}${a.reason ? ' \u2014 ' + codeName('reason', a.reason) : ''}` })] : null,
      (a.verdict_measures || []).length ? [h('dt', { text: t('alert.measures_taken') }),
        h('dd', { 'data-testid': 'measures-taken', text: a.verdict_measures.map((m) => codeName('measure', m)).join(', ') })] : null);

    const head = h('header.alert-head', { class: `alert-head p${PRIORITY[a.type] || 9}` },
      h('h2', { text: `${typeName(a.type)} #${a.id}` }),
      h('span.badge', { 'data-testid': 'alert-state', text: t(`state.${a.state}`) }),
      members.length > 1 ? h('span.badge.group', { 'data-testid': 'group-size', text: t('alerts.group', { n: members.length }) }) : null);

    const actions = h('div.actions');
    if (peek && a.state === 'new') actions.append(h('p.muted', { 'data-testid': 'peek', text: t('alerts.peek') }));
    if (judges && OPEN_STATES.includes(a.state)) {
      arming.begin(a.id);
      const comment = h('textarea', { rows: 2, id: 'verdict-comment', placeholder: t('alert.verdict_comment') });
      const confirmBtn = h('button.confirm', { id: 'confirm', onclick: () => verdict(true), text: t('alert.confirm') });
      const dismissBtn = h('button.dismiss', { id: 'dismiss', onclick: () => { if (arming.armed()) { pendingDismiss = true; renderView(); } }, text: t('alert.dismiss') });
      const reasonBtns = list.map((r, i) => h('button.reason', { 'data-reason': r, onclick: () => verdict(false, r) }, `${i + 1}. ${codeName('reason', r)}`));
      arming.style([confirmBtn, dismissBtn, ...reasonBtns]);
      actions.append(...[
        members.length > 1 ? h('p.hint', { text: t('alerts.group_note', { n: members.length }) }) : null,
        h('div.verdict', confirmBtn,
          h('div.dismiss', {}, dismissBtn,
            pendingDismiss ? h('p.hint', { text: t('alert.dismiss_pick') }) : null,
            h('ol.reasons', {}, reasonBtns.map((b) => h('li', {}, b))))),
        comment].filter(Boolean));  // append() would write a null as the text "null"
    } else if (!judges) {
      actions.append(h('p.muted', { text: t('alert.readonly') }));
    }
    if (judges) {
      const who = h('input', { id: 'assign-user', value: a.assignee || '', size: 12 });
      actions.append(h('div.assign',
        h('label', {}, t('alert.assign'), who),
        h('button', { onclick: () => { who.value = ctx.me.user; }, text: t('alert.assign_me') }),
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
      viewEl.prepend(h('p.error', { text: errorText(e) }));
    }
  }

  async function verdict(confirmed, reason) {
    if (!detail || !OPEN_STATES.includes(detail.state) || !arming.armed()) return;
    pendingDismiss = false;
    let comment = document.getElementById('verdict-comment')?.value || '';
    let measures = [];
    if (confirmed) {
      const asked = await askMeasures(detail.type, comment);
      if (!asked) return;
      ({ measures, comment } = asked);
    }
    // One verdict for the group; each alert gets its own, journaled.
    const members = group();
    const done = [];
    for (const a of members) {
      const body = confirmed ? { confirmed: true, comment, measures } : { confirmed: false, reason, comment };
      try {
        const updated = await post(`/api/v1/alerts/${a.id}/verdict`, body);
        store.update(updated);
        done.push(updated);
      } catch (e) {
        viewEl.prepend(h('p.error', { text: errorText(e) }));
      }
    }
    if (!done.length) return;
    ctx.undo.show(done, confirmed);
    // Straight on to the next alert waiting, if any (its buttons arm again).
    const next = store.queue()[0];
    ctx.go(next ? `#/alerts/${next.id}` : `#/alerts/${detail.id}`);
  }

  function step(delta, mode = '') {
    const groups = pane.visibleGroups();
    if (!groups.length) return;
    const i = groups.findIndex((g) => g.alerts.some((a) => a.id === selected));
    const next = i < 0 ? groups[0] : groups[(i + delta + groups.length) % groups.length];
    ctx.go(`#/alerts/${next.lead.id}${mode}`);
  }

  function onKey(ev) {
    if (ev.target.closest('input, textarea, select, dialog') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest('ol.queue li') && (ev.key === 'Enter' || ev.key === ' ')) return;
    if (pendingDismiss && /^[1-9]$/.test(ev.key)) {
      const r = settings().reasons[Number(ev.key) - 1];
      if (r) verdict(false, r);
      ev.preventDefault();
      return;
    }
    switch (ev.key) {
      case 'c': if (judges) verdict(true); break;
      case 'd': if (judges && detail && arming.armed()) { pendingDismiss = true; renderView(); } break;
      case 'u': ctx.undo.undo(); break;
      case 'n': step(1, '/peek'); break;
      case 'j': step(1); break;
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
    pane.destroy();
    clearTimeout(evidenceTimer);
  };
}
