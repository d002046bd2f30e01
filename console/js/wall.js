// The camera wall: one tile per camera with its latest analysed frame (persons pixelated,
// privacy masks burned in) about once a second, a health badge and a stop per camera. A
// camera not analysed shows why instead of an image.

import { get, post } from './api.js';
import { h, clear } from './dom.js';
import { t, fmtNumber } from './i18n.js';

const REFRESH_MS = 1000;

export function mount(root, ctx) {
  const grid = h('div.wall', { 'data-testid': 'wall' });
  root.append(h('h2', { text: t('wall.title') }), grid);
  const tiles = new Map();
  let stopped = false;
  let timer = null;

  function tile(c) {
    const img = h('img', { alt: c.name || c.id });
    const note = h('div.tile-note');
    const badge = h('span.badge');
    const fps = h('span.fps');
    const stopBtn = h('button.stop.small', { text: t('wall.stop'), onclick: () => ctx.askStop(c.id).then(refresh) });
    const resumeBtn = h('button.small', {
      text: t('wall.resume'),
      hidden: true,
      onclick: async () => { await post('/api/v1/resume', { camera: c.id }); refresh(); },
    });
    const el = h('figure.tile', { 'data-camera': c.id },
      h('div.tile-image', {}, img, note),
      h('figcaption', {}, h('span.name', { text: c.name || c.id }), badge, fps, stopBtn, resumeBtn));
    return { el, img, note, badge, fps, stopBtn, resumeBtn, url: null };
  }

  async function frame(c, x) {
    if (!c.permit.analyse) {
      x.img.hidden = true;
      x.note.hidden = false;
      x.note.textContent = `${t('wall.not_analysed')} : ${c.permit.why_not}`;
      return;
    }
    try {
      const r = await fetch(`/api/v1/cameras/${encodeURIComponent(c.id)}/frame.jpg`, { credentials: 'same-origin', cache: 'no-store' });
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        x.img.hidden = true;
        x.note.hidden = false;
        x.note.textContent = r.status === 409 ? `${t('wall.not_analysed')} : ${body?.error?.message || ''}`
          : r.status === 503 ? t('wall.no_frame') : (body?.error?.message || `HTTP ${r.status}`);
        return;
      }
      const url = URL.createObjectURL(await r.blob());
      x.img.onload = () => { if (x.url) URL.revokeObjectURL(x.url); x.url = url; };
      x.img.src = url;
      x.img.hidden = false;
      x.note.hidden = true;
    } catch (e) { /* next round */ }
  }

  async function refresh() {
    let cams;
    try {
      cams = (await get('/api/v1/cameras')).cameras;
    } catch (e) {
      return;
    }
    ctx.cameras = cams;
    const stops = ctx.stop?.cameras || {};
    for (const c of cams) {
      let x = tiles.get(c.id);
      if (!x) {
        x = tile(c);
        tiles.set(c.id, x);
        grid.append(x.el);
      }
      x.badge.textContent = c.state;
      x.badge.className = `badge health-${c.state}`;
      x.badge.title = c.reason || '';
      x.fps.textContent = c.permit.analyse ? `${fmtNumber(c.analysed_fps, 1)} ${t('wall.fps')}` : '';
      const cameraStopped = stops[c.id]?.stopped;
      x.stopBtn.hidden = !c.permit.analyse;
      x.resumeBtn.hidden = !(cameraStopped && ctx.me.role === 'supervisor');
      x.el.classList.toggle('not-analysed', !c.permit.analyse);
      frame(c, x);
    }
  }

  async function loop() {
    if (stopped) return;
    await ctx.refreshStop();
    await refresh();
    if (!stopped) timer = setTimeout(loop, REFRESH_MS);
  }
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const x of tiles.values()) if (x.url) URL.revokeObjectURL(x.url);
    clear(grid);
  };
}
