// The zone editor (supervisors): polygons, tripwires and their crossing direction, allowed
// directions, privacy masks and the calibration quad, drawn on the camera's latest frame in
// source-image pixels. Saving shows what changes and what the API finds wrong (a dry run)
// before anything is stored; the node validates, stores, journals and applies it.

import { get, put, ApiError } from './api.js';
import { h, s, clear, modal } from './dom.js';
import { t, fmtDate } from './i18n.js';

const TOOLS = ['select', 'zone', 'line', 'mask', 'ignore', 'calibration', 'direction'];

const copy = (x) => JSON.parse(JSON.stringify(x));
const round = (v) => Math.round(v * 10) / 10;

function centroid(points) {
  const n = points.length || 1;
  return [points.reduce((a, p) => a + p[0], 0) / n, points.reduce((a, p) => a + p[1], 0) / n];
}

function editable(g) {
  return {
    zones: copy(g.zones || []),
    lines: copy(g.lines || []),
    calibration: g.calibration ? copy(g.calibration) : null,
    privacy_masks: copy(g.privacy_masks || []),
    analysis_masks: copy(g.analysis_masks || []),
  };
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

/** What changes between two geometries, one line per item. */
export function summarize(before, after) {
  const lines = [];
  for (const kind of ['zones', 'lines']) {
    const b = new Map(before[kind].map((x) => [x.id, x]));
    const a = new Map(after[kind].map((x) => [x.id, x]));
    for (const [id, x] of a) {
      if (!b.has(id)) lines.push(['added', `${kind} ${id}`]);
      else if (!same(b.get(id), x)) lines.push(['changed', `${kind} ${id}`]);
    }
    for (const id of b.keys()) if (!a.has(id)) lines.push(['removed', `${kind} ${id}`]);
  }
  for (const kind of ['privacy_masks', 'analysis_masks']) {
    const bm = before[kind].length;
    const am = after[kind].length;
    if (am > bm) lines.push(['added', `${kind} \u00d7${am - bm}`]);
    if (am < bm) lines.push(['removed', `${kind} \u00d7${bm - am}`]);
    if (am === bm && !same(before[kind], after[kind])) lines.push(['changed', kind]);
  }
  if (!same(before.calibration, after.calibration)) {
    lines.push([!before.calibration ? 'added' : !after.calibration ? 'removed' : 'changed', 'calibration']);
  }
  return lines;
}

export function mount(root, ctx) {
  const select = h('select', { id: 'zone-camera' }, ctx.cameras.map((c) => h('option', { value: c.id, text: c.name || c.id })));
  const toolbar = h('div.toolbar');
  const help = h('p.help');
  const stage = h('div.editor-stage');
  const side = h('aside.editor-side');
  const status = h('p.status', { 'data-testid': 'zone-status' });
  const origin = h('p.muted');
  root.append(h('h2', { text: t('zones.title') }),
    h('div.inline', {}, h('label', {}, t('zones.camera'), select), origin),
    toolbar, help, h('div.editor', {}, stage, side), status);

  let camera = select.value;
  let original = null;   // as loaded
  let geo = null;        // being edited
  let size = [1280, 720];
  let tool = 'select';
  let selected = null;   // {kind: 'zones'|'lines'|'privacy_masks'|'analysis_masks'|'calibration', index}
  let draft = [];        // points of the shape being drawn
  let drag = null;
  let svg = null;
  let background = null;

  for (const id of TOOLS) {
    toolbar.append(h('button', { 'data-tool': id, onclick: () => setTool(id), text: t(`zones.tool.${id}`) }));
  }
  toolbar.append(h('span.spacer'),
    h('button', { id: 'zones-reset', onclick: () => { geo = editable(original); selected = null; draft = []; render(); }, text: t('zones.reset') }),
    h('button.primary', { id: 'zones-save', onclick: save, text: t('zones.save') }));

  function setTool(id) {
    tool = id;
    draft = [];
    for (const b of toolbar.querySelectorAll('[data-tool]')) b.classList.toggle('active', b.dataset.tool === id);
    help.textContent = t(`zones.help.${id}`);
    render();
  }

  async function load() {
    status.textContent = '';
    const g = await get(`/api/v1/cameras/${encodeURIComponent(camera)}/geometry`);
    original = editable(g);
    geo = editable(g);
    origin.textContent = g.updated_by ? t('zones.updated_by', { by: g.updated_by, at: fmtDate(g.updated_ms) }) : t('zones.from_config');
    background = null;
    try {
      const r = await fetch(`/api/v1/cameras/${encodeURIComponent(camera)}/frame.jpg`, { credentials: 'same-origin', cache: 'no-store' });
      if (r.ok) background = URL.createObjectURL(await r.blob());
    } catch (e) { /* drawn on a plain background */ }
    if (g.source_width && g.source_height) {
      size = [g.source_width, g.source_height];
    } else {
      // Unknown until a frame is analysed: large enough for every point there is.
      const all = [...geo.zones.flatMap((z) => z.polygon), ...geo.lines.flatMap((l) => l.points),
        ...geo.privacy_masks.flatMap((m) => m.polygon), ...geo.analysis_masks.flatMap((m) => m.polygon),
        ...(geo.calibration?.image || [])];
      size = [Math.max(1280, ...all.map((p) => p[0] + 10)), Math.max(720, ...all.map((p) => p[1] + 10))];
    }
    selected = null;
    draft = [];
    render();
  }

  function point(ev) {
    const m = svg.getScreenCTM().inverse();
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m);
    return [round(Math.min(Math.max(p.x, 0), size[0])), round(Math.min(Math.max(p.y, 0), size[1]))];
  }

  function nextId(prefix, list) {
    let i = list.length + 1;
    while (list.some((x) => x.id === `${prefix}-${i}`)) i += 1;
    return `${prefix}-${i}`;
  }

  function finishDraft() {
    if (tool === 'zone' && draft.length >= 3) {
      geo.zones.push({ id: nextId('zone', geo.zones), name: '', polygon: draft });
      selected = { kind: 'zones', index: geo.zones.length - 1 };
    } else if (tool === 'mask' && draft.length >= 3) {
      geo.privacy_masks.push({ polygon: draft });
      selected = { kind: 'privacy_masks', index: geo.privacy_masks.length - 1 };
    } else if (tool === 'ignore' && draft.length >= 3) {
      geo.analysis_masks.push({ polygon: draft });
      selected = { kind: 'analysis_masks', index: geo.analysis_masks.length - 1 };
    }
    draft = [];
    render();
  }

  function pointsOf(sel) {
    if (!sel) return null;
    if (sel.kind === 'zones') return geo.zones[sel.index]?.polygon;
    if (sel.kind === 'lines') return geo.lines[sel.index]?.points;
    if (sel.kind === 'privacy_masks') return geo.privacy_masks[sel.index]?.polygon;
    if (sel.kind === 'analysis_masks') return geo.analysis_masks[sel.index]?.polygon;
    if (sel.kind === 'calibration') return geo.calibration?.image;
    return null;
  }

  function onDown(ev) {
    if (ev.button !== 0) return;
    const p = point(ev);
    const target = ev.target;
    if (tool === 'select') {
      if (target.dataset.vertex !== undefined) {
        selected = { kind: target.dataset.kind, index: Number(target.dataset.index) };
        drag = { type: 'vertex', vertex: Number(target.dataset.vertex) };
      } else if (target.dataset.kind) {
        selected = { kind: target.dataset.kind, index: Number(target.dataset.index) };
        drag = { type: 'shape', from: p, start: copy(pointsOf(selected)) };
      } else {
        selected = null;
      }
      svg.setPointerCapture(ev.pointerId);
      render();
      return;
    }
    if (tool === 'direction') {
      if (selected?.kind === 'zones' || selected?.kind === 'lines') {
        drag = { type: 'direction', from: centroid(pointsOf(selected)) };
        svg.setPointerCapture(ev.pointerId);
      } else if (target.dataset.kind === 'zones') {
        selected = { kind: 'zones', index: Number(target.dataset.index) };
        render();
      }
      return;
    }
    if (tool === 'zone' || tool === 'mask' || tool === 'ignore') {
      draft.push(p);
    } else if (tool === 'line') {
      draft.push(p);
      if (draft.length === 2) {
        geo.lines.push({ id: nextId('line', geo.lines), name: '', points: draft });
        selected = { kind: 'lines', index: geo.lines.length - 1 };
        draft = [];
      }
    } else if (tool === 'calibration') {
      draft.push(p);
      if (draft.length === 4) {
        const ground = geo.calibration?.ground || [[0, 0], [10, 0], [10, 10], [0, 10]];
        geo.calibration = { image: draft, ground };
        selected = { kind: 'calibration', index: 0 };
        draft = [];
      }
    }
    render();
  }

  function onMove(ev) {
    if (!drag) return;
    const p = point(ev);
    const pts = pointsOf(selected);
    if (!pts) return;
    if (drag.type === 'vertex') {
      pts[drag.vertex] = p;
    } else if (drag.type === 'shape') {
      const dx = p[0] - drag.from[0];
      const dy = p[1] - drag.from[1];
      drag.start.forEach((q, i) => { pts[i] = [round(q[0] + dx), round(q[1] + dy)]; });
    } else if (drag.type === 'direction') {
      const v = [round(p[0] - drag.from[0]), round(p[1] - drag.from[1])];
      if (Math.hypot(v[0], v[1]) > 2) {
        if (selected.kind === 'zones') geo.zones[selected.index].allowed_direction = v;
        else geo.lines[selected.index].direction = v;
      }
    }
    render();
  }

  function onUp() { drag = null; }

  function onKey(ev) {
    if (ev.target.closest('input, textarea, select')) return;
    if (ev.key === 'Enter') finishDraft();
    else if (ev.key === 'Escape') { draft = []; render(); }
    else if ((ev.key === 'Delete' || ev.key === 'Backspace') && selected) removeSelected();
  }

  function removeSelected() {
    if (!selected) return;
    if (selected.kind === 'calibration') geo.calibration = null;
    else geo[selected.kind].splice(selected.index, 1);
    selected = null;
    render();
  }

  function arrow(from, v, cls) {
    const len = Math.hypot(v[0], v[1]) || 1;
    const scale = Math.min(size[0], size[1]) * 0.12 / len;
    const to = [from[0] + v[0] * scale, from[1] + v[1] * scale];
    return s('line', { x1: from[0], y1: from[1], x2: to[0], y2: to[1], class: cls, 'marker-end': 'url(#arrowhead)' });
  }

  function render() {
    if (!geo) return;
    clear(stage);
    const r = Math.max(size[0], size[1]) / 160;
    svg = s('svg', { viewBox: `0 0 ${size[0]} ${size[1]}`, class: `editor-svg tool-${tool}`, 'data-testid': 'zone-svg' });
    svg.style.setProperty('--handle', `${r}px`);
    svg.append(s('defs', {}, s('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
    if (background) svg.append(s('image', { href: background, x: 0, y: 0, width: size[0], height: size[1], preserveAspectRatio: 'none' }));
    else svg.append(s('rect', { x: 0, y: 0, width: size[0], height: size[1], class: 'blank' }));
    const isSel = (kind, i) => selected && selected.kind === kind && selected.index === i;
    const pts = (list) => list.map((p) => p.join(',')).join(' ');
    geo.privacy_masks.forEach((m, i) => svg.append(s('polygon', { points: pts(m.polygon), class: `mask${isSel('privacy_masks', i) ? ' selected' : ''}`, 'data-kind': 'privacy_masks', 'data-index': i })));
    // Not analysed: hatched, so that what is under it stays visible (unlike a privacy mask).
    geo.analysis_masks.forEach((m, i) => svg.append(s('polygon', { points: pts(m.polygon), class: `ignore${isSel('analysis_masks', i) ? ' selected' : ''}`, 'data-kind': 'analysis_masks', 'data-index': i })));
    geo.zones.forEach((z, i) => {
      svg.append(s('polygon', { points: pts(z.polygon), class: `zone${isSel('zones', i) ? ' selected' : ''}`, 'data-kind': 'zones', 'data-index': i }));
      const c = centroid(z.polygon);
      svg.append(s('text', { x: c[0], y: c[1], class: 'tag', text: z.id }));
      if (z.allowed_direction) svg.append(arrow(c, z.allowed_direction, 'direction'));
    });
    geo.lines.forEach((l, i) => {
      const [a, b] = l.points;
      svg.append(s('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: `wire${isSel('lines', i) ? ' selected' : ''}`, 'data-kind': 'lines', 'data-index': i }));
      const c = centroid(l.points);
      svg.append(s('text', { x: c[0], y: c[1] - r * 2, class: 'tag', text: l.id }));
      if (l.direction) svg.append(arrow(c, l.direction, 'direction'));
    });
    if (geo.calibration) {
      svg.append(s('polygon', { points: pts(geo.calibration.image), class: `calibration${isSel('calibration', 0) ? ' selected' : ''}`, 'data-kind': 'calibration', 'data-index': 0 }));
      geo.calibration.image.forEach((p, i) => svg.append(s('text', { x: p[0] + r * 1.5, y: p[1] - r, class: 'tag cal', text: String(i + 1) })));
    }
    // Handles of the selected shape.
    const sel = pointsOf(selected);
    if (sel && tool === 'select') {
      sel.forEach((p, v) => svg.append(s('circle', { cx: p[0], cy: p[1], r, class: 'handle', 'data-kind': selected.kind, 'data-index': selected.index, 'data-vertex': v })));
    }
    if (draft.length) {
      svg.append(s('polyline', { points: pts(draft), class: 'draft' }));
      draft.forEach((p) => svg.append(s('circle', { cx: p[0], cy: p[1], r: r * 0.8, class: 'draft-point' })));
    }
    svg.addEventListener('pointerdown', onDown);
    svg.addEventListener('pointermove', onMove);
    svg.addEventListener('pointerup', onUp);
    svg.addEventListener('dblclick', (ev) => { ev.preventDefault(); if (draft.length > 3) draft.pop(); finishDraft(); });
    stage.append(svg);
    renderSide();
  }

  function renderSide() {
    clear(side);
    side.append(h('h3', { text: t('zones.items') }));
    const list = h('ul.items');
    const entry = (kind, i, label) => h('li', { class: selected?.kind === kind && selected.index === i ? 'selected' : '',
      onclick: () => { selected = { kind, index: i }; render(); } }, label);
    geo.zones.forEach((z, i) => list.append(entry('zones', i, `\u25B1 ${z.id}${z.name ? ` \u2014 ${z.name}` : ''}`)));
    geo.lines.forEach((l, i) => list.append(entry('lines', i, `\u2501 ${l.id}${l.name ? ` \u2014 ${l.name}` : ''}`)));
    geo.privacy_masks.forEach((m, i) => list.append(entry('privacy_masks', i, `\u25A0 ${t('zones.tool.mask')} ${i + 1}`)));
    geo.analysis_masks.forEach((m, i) => list.append(entry('analysis_masks', i, `\u25A8 ${t('zones.tool.ignore')} ${i + 1}`)));
    if (geo.calibration) list.append(entry('calibration', 0, `\u2B1A ${t('zones.tool.calibration')}`));
    side.append(list);
    if (!selected) return;
    const panel = h('div.props');
    if (selected.kind === 'zones' || selected.kind === 'lines') {
      const item = geo[selected.kind][selected.index];
      const id = h('input', { value: item.id, id: 'item-id', oninput: (e) => { item.id = e.target.value.trim(); } , onchange: render });
      const name = h('input', { value: item.name || '', id: 'item-name', oninput: (e) => { item.name = e.target.value; } });
      panel.append(h('label', {}, t('zones.id'), id), h('label', {}, t('zones.name'), name));
      if (selected.kind === 'lines') {
        const d = item.direction;
        panel.append(h('button', {
          id: 'line-direction',
          onclick: () => {
            const [a, b] = item.points;
            const normal = [round(-(b[1] - a[1])), round(b[0] - a[0])];
            if (!d) item.direction = normal;
            else if (same(d, normal)) item.direction = [-normal[0], -normal[1]];
            else delete item.direction;
            render();
          },
        }, `${t('zones.flip')} : ${d ? `[${d.join(', ')}]` : t('zones.both')}`));
      } else if (item.allowed_direction) {
        panel.append(h('button', { onclick: () => { delete item.allowed_direction; render(); } },
          `${t('zones.tool.direction')} [${item.allowed_direction.join(', ')}] \u2715`));
      }
    }
    if (selected.kind === 'calibration' && geo.calibration) {
      const table = h('table.data.small', {}, h('tr', {}, h('th', { text: '#' }), h('th', { text: t('zones.image') }), h('th', { text: t('zones.ground') })));
      geo.calibration.image.forEach((p, i) => {
        const g = geo.calibration.ground[i];
        const num = (j) => h('input', { type: 'number', step: '0.1', value: g[j], size: 5, class: 'num',
          oninput: (e) => { g[j] = Number(e.target.value); } });
        table.append(h('tr', {}, h('td', { text: String(i + 1) }), h('td', { text: `${p[0]}, ${p[1]}` }), h('td', {}, num(0), num(1))));
      });
      panel.append(table);
    }
    panel.append(h('button.danger', { onclick: removeSelected, text: t('zones.delete') }));
    side.append(panel);
  }

  async function save() {
    if (draft.length) finishDraft();
    const body = copy(geo);
    const changes = summarize(original, geo);
    let problems = [];
    try {
      await put(`/api/v1/cameras/${encodeURIComponent(camera)}/geometry?dry_run=true`, body);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) { status.textContent = e.message; return; }
      problems = e.body?.error?.errors || [{ path: '', message: e.message }];
    }
    const ok = await modal((close) => h('div.dialog-body', { 'data-testid': 'zone-preview' },
      h('h2', { text: t('zones.preview') }),
      changes.length ? h('ul.changes', {}, changes.map(([what, label]) => h(`li.${what}`, { text: `${t(`zones.${what}`)} : ${label}` })))
        : h('p', { text: t('zones.nochange') }),
      problems.length ? [h('p.error', { text: t('zones.invalid') }),
        h('ul.errors', {}, problems.map((p) => h('li', {}, h('code', { text: p.path }), ` ${p.message}`)))] : null,
      h('div.buttons',
        h('button', { onclick: () => close(null), text: t('stop.cancel') }),
        h('button.primary', { id: 'zones-confirm', disabled: problems.length > 0 || !changes.length, onclick: () => close(true), text: t('zones.confirm') }))));
    if (!ok) return;
    try {
      await put(`/api/v1/cameras/${encodeURIComponent(camera)}/geometry`, body);
      await load();
      status.textContent = t('zones.saved');
      status.className = 'status ok';
    } catch (e) {
      status.textContent = e.message;
      status.className = 'status error';
    }
  }

  select.addEventListener('change', () => { camera = select.value; load(); });
  document.addEventListener('keydown', onKey);
  setTool('select');
  if (camera) load().catch((e) => { status.textContent = e.message; });
  return () => {
    document.removeEventListener('keydown', onKey);
    if (background) URL.revokeObjectURL(background);
  };
}
