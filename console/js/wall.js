// The camera wall: one tile per camera with its latest analysed frame (persons pixelated,
// privacy masks burned in) about once a second, a health badge and a stop per camera. A
// camera not analysed shows why instead of an image. A tile whose camera has an open alert is
// framed in the alert's colour and opens it on click. A camera analysed below its rate, or
// dropping frames, is "degraded", never green "live". While the link to the node is down,
// every image is greyed and says since when it is frozen (local time).

import { get, post } from './api.js';
import { h, clear } from './dom.js';
import { t, fmtNumber, fmtDate, healthName, typeName } from './i18n.js';
import { PRIORITY } from './store.js';

const REFRESH_MS = 1000;

/** Why a camera is not analysed, in the interface's language, from the stop state. */
function notAnalysedText(ctx, c) {
  const g = ctx.stop?.global;
  const cam = ctx.stop?.cameras?.[c.id];
  const stop = g?.stopped ? g : cam?.stopped ? cam : null;
  const why = stop ? t(g?.stopped ? 'stop.stopped' : 'wall.camera_stopped',
    { by: stop.by, at: fmtDate(stop.at_ms), reason: stop.reason })
    : /authorization/.test(c.permit.why_not || '') ? t('wall.no_authorization') : c.permit.why_not;
  return `${t('wall.not_analysed')} : ${why}`;
}

export function mount(root, ctx, rest) {
  const grid = h('div.wall', { 'data-testid': 'wall' });
  root.append(h('h2', { text: t('wall.title') }), grid);
  const focus = rest && rest[0] ? decodeURIComponent(rest[0]) : '';
  const tiles = new Map();
  let stopped = false;
  let timer = null;

  function tile(c) {
    const img = h('img', { alt: c.name || c.id });
    const note = h('div.tile-note');
    const frozen = h('div.frozen-note', { hidden: true });
    const badge = h('span.badge');
    const fps = h('span.fps');
    const stopBtn = h('button.stop.small', { text: t('wall.stop'), onclick: () => ctx.askStop(c.id).then(refresh) });
    const resumeBtn = h('button.small', {
      text: t('wall.resume'),
      hidden: true,
      onclick: async () => { await post('/api/v1/resume', { camera: c.id }); refresh(); },
    });
    const x = { img, note, frozen, badge, fps, stopBtn, resumeBtn, url: null, lastOk: 0, dropped: null, alert: null };
    const image = h('div.tile-image', {
      onclick: () => { if (x.alert) ctx.go(`#/alerts/${x.alert.id}`); },
    }, img, note, frozen);
    x.el = h('figure.tile', { 'data-camera': c.id, id: `tile-${c.id}` },
      image,
      h('figcaption', {}, h('span.name', { text: c.name || c.id }), badge, fps, stopBtn, resumeBtn));
    return x;
  }

  async function frame(c, x) {
    if (!c.permit.analyse) {
      x.img.hidden = true;
      x.note.hidden = false;
      x.note.textContent = notAnalysedText(ctx, c);
      return;
    }
    try {
      const r = await fetch(`/api/v1/cameras/${encodeURIComponent(c.id)}/frame.jpg`, { credentials: 'same-origin', cache: 'no-store' });
      if (!r.ok) {
        x.img.hidden = true;
        x.note.hidden = false;
        x.note.textContent = r.status === 409 ? notAnalysedText(ctx, c) : t('wall.no_frame');
        return;
      }
      const url = URL.createObjectURL(await r.blob());
      x.img.onload = () => { if (x.url) URL.revokeObjectURL(x.url); x.url = url; };
      x.img.src = url;
      x.img.hidden = false;
      x.note.hidden = true;
      x.lastOk = Date.now();
    } catch (e) { /* the link marks the tile frozen */ }
  }

  /** Greys a tile whose image can no longer be trusted to be current. */
  function markFrozen(x) {
    const down = ctx.link?.down;
    x.el.classList.toggle('frozen', !!down);
    x.frozen.hidden = !down;
    if (!down) return;
    x.frozen.textContent = t('wall.frozen', { at: fmtDate(x.lastOk || ctx.link.downSince, 'time') });
    // What the node last said about the camera is no longer known to be true.
    x.badge.textContent = t('wall.offline');
    x.badge.className = 'badge health-stalled';
  }

  function markAlert(c, x) {
    const open = (ctx.store?.queue() || []).filter((a) => a.camera === c.id);
    x.alert = open[0] || null;  // the queue is in priority order
    x.el.className = x.el.className.replace(/\s?(has-alert|ap\d)/g, '');
    if (x.alert) x.el.classList.add('has-alert', `ap${PRIORITY[x.alert.type] || 9}`);
    x.el.title = x.alert ? `${typeName(x.alert.type)} #${x.alert.id} \u2014 ${t('wall.open_alert')}` : '';
  }

  function markHealth(c, x) {
    // Drops counted since the last look mean the camera is missing frames right now.
    const dropping = x.dropped !== null && c.frames_dropped > x.dropped;
    x.dropped = c.frames_dropped;
    // A stream may play on while nothing analyses it (stopped, no authorization): "live"
    // would tell the operator the camera is watched.
    if (!c.permit.analyse) {
      x.badge.textContent = t('wall.not_analysed_badge');
      x.badge.className = 'badge health-stopped';
      x.badge.title = notAnalysedText(ctx, c);
      return;
    }
    const degraded = c.state === 'live' && (c.degraded || dropping);
    x.badge.textContent = degraded ? t('wall.degraded') : healthName(c.state);
    x.badge.className = `badge health-${degraded ? 'degraded' : c.state}`;
    x.badge.title = degraded ? (c.degraded_why || t('system.dropped')) : (c.reason || '');
  }

  async function refresh() {
    let cams;
    try {
      cams = (await get('/api/v1/cameras')).cameras;
    } catch (e) {
      for (const x of tiles.values()) markFrozen(x);
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
        if (c.id === focus) {
          x.el.classList.add('focused');
          x.el.scrollIntoView({ block: 'center' });
        }
      }
      markHealth(c, x);
      x.fps.textContent = c.permit.analyse ? `${fmtNumber(c.analysed_fps, 1)} ${t('wall.fps')}` : '';
      const cameraStopped = stops[c.id]?.stopped;
      x.stopBtn.hidden = !c.permit.analyse;
      x.resumeBtn.hidden = !(cameraStopped && ctx.me.role === 'supervisor');
      x.el.classList.toggle('not-analysed', !c.permit.analyse);
      markAlert(c, x);
      await frame(c, x);
      markFrozen(x);
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
