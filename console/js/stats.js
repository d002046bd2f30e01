// Statistics as hand-made SVG charts: alerts per type, camera and hour; operator-confirmed
// precision per type and camera; median time to verdict; calibration-mode counts.

import { get } from './api.js';
import { h, s } from './dom.js';
import { t, typeName, fmtNumber, fmtDate, lang } from './i18n.js';

/** Horizontal bars: rows of [label, value, text]. `max` fixes the scale (1 for shares). */
function bars(title, rows, { max, percent = false } = {}) {
  const fig = h('figure.chart', {}, h('figcaption', { text: title }));
  if (!rows.length) {
    fig.append(h('p.muted', { text: t('stats.none') }));
    return fig;
  }
  const top = max ?? Math.max(1, ...rows.map((r) => r[1] || 0));
  const rowH = 22;
  const labelW = 170;
  const barW = 260;
  const svg = s('svg', { viewBox: `0 0 ${labelW + barW + 70} ${rows.length * rowH + 4}`, class: 'bars', role: 'img' });
  rows.forEach(([label, value, text], i) => {
    const y = i * rowH + 2;
    const w = value === null || value === undefined ? 0 : Math.max(1, (value / top) * barW);
    svg.append(
      s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'label', text: label }),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, class: 'bar' }),
      s('text', { x: labelW + w + 6, y: y + 15, class: 'value',
        text: text ?? (value === null ? '\u2013' : percent ? `${fmtNumber(value * 100, 0)} %` : fmtNumber(value, 1)) }));
  });
  fig.append(svg);
  return fig;
}

/** Columns over time: [[hour_ms, count]], one column per hour of [from_ms, to_ms). */
function columns(title, points, fromMs, toMs) {
  const fig = h('figure.chart.wide', {}, h('figcaption', { text: title }));
  if (!points.length) {
    fig.append(h('p.muted', { text: t('stats.none') }));
    return fig;
  }
  const hour = 3600 * 1000;
  const first = Math.floor(fromMs / hour) * hour;
  const last = Math.floor((toMs - 1) / hour) * hour;
  const n = Math.max(1, Math.round((last - first) / hour) + 1);
  const w = 720;
  const hh = 160;
  const top = Math.max(1, ...points.map((p) => p[1]));
  const colW = w / n;
  const svg = s('svg', { viewBox: `0 0 ${w + 40} ${hh + 30}`, class: 'columns', role: 'img' });
  svg.append(s('text', { x: 0, y: 12, class: 'value', text: String(top) }));
  svg.append(s('line', { x1: 30, y1: hh, x2: w + 30, y2: hh, class: 'axis' }));
  for (const [at, count] of points) {
    const i = Math.round((at - first) / hour);
    const bh = (count / top) * (hh - 16);
    svg.append(s('rect', { x: 30 + i * colW + 1, y: hh - bh, width: Math.max(1, colW - 2), height: bh, class: 'bar' },
      s('title', { text: `${fmtDate(at, 'hour')} : ${count}` })));
  }
  svg.append(s('text', { x: 30, y: hh + 18, class: 'label', text: fmtDate(first, 'hour') }));
  svg.append(s('text', { x: w + 30, y: hh + 18, 'text-anchor': 'end', class: 'label', text: fmtDate(last, 'hour') }));
  fig.append(svg);
  return fig;
}

export function mount(root, ctx) {
  const grid = h('div.charts', { 'data-testid': 'stats' });
  root.append(h('h2', { text: t('stats.title') }), grid);
  get('/api/v1/stats').then((st) => {
    const types = Object.entries(st.by_type);
    const cams = Object.entries(st.by_camera);
    grid.append(
      h('p.total', { text: `${t('stats.total')}${lang === 'fr' ? ' :' : ':'} ${st.total.alerts} \u2014 ${t('state.confirmed')} ${st.total.confirmed}, ${t('state.dismissed')} ${st.total.dismissed}` }),
      bars(t('stats.by_type'), types.map(([k, v]) => [typeName(k), v.alerts, String(v.alerts)])),
      bars(t('stats.by_camera'), cams.map(([k, v]) => [ctx.cameraName(k), v.alerts, String(v.alerts)])),
      columns(t('stats.by_hour'), st.by_hour.map((x) => [x.hour_ms, x.alerts]), st.from_ms, st.to_ms),
      bars(t('stats.precision_type'), types.map(([k, v]) => [typeName(k), v.precision,
        v.precision === null ? '\u2013' : `${fmtNumber(v.precision * 100, 0)} % (${v.confirmed}/${v.confirmed + v.dismissed})`]), { max: 1, percent: true }),
      bars(t('stats.precision_camera'), cams.map(([k, v]) => [ctx.cameraName(k), v.precision,
        v.precision === null ? '\u2013' : `${fmtNumber(v.precision * 100, 0)} % (${v.confirmed}/${v.confirmed + v.dismissed})`]), { max: 1, percent: true }),
      bars(t('stats.verdict'), types.filter(([, v]) => v.median_verdict_s !== null).map(([k, v]) => [typeName(k), v.median_verdict_s])),
      bars(`${t('stats.calibration')} (${st.calibration.alerts})`,
        [...Object.entries(st.calibration.by_type).map(([k, v]) => [typeName(k), v, String(v)]),
          ...Object.entries(st.calibration.by_camera).map(([k, v]) => [`${t("system.camera")} ${ctx.cameraName(k)}`, v, String(v)])]));
  }).catch((e) => grid.append(h('p.error', { text: e.message })));
}
