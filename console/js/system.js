// Stream health, analysed fps, drops, analysis time per camera, and the node's CPU share.

import { get } from './api.js';
import { h, clear } from './dom.js';
import { t, fmtNumber, healthName } from './i18n.js';

function duration(s) {
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${hh} h ${String(mm).padStart(2, '0')} min`;
}

export function mount(root) {
  const figures = h('div.figures');
  const table = h('table.data', { 'data-testid': 'system-cameras' });
  root.append(h('h2', { text: t('system.title') }), figures, table);
  let timer = null;

  async function refresh() {
    let sys;
    try {
      sys = await get('/api/v1/system');
    } catch (e) {
      clear(figures).append(h('p.error', { text: e.message }));
      return;
    }
    const card = (label, value, extra) => h('div.figure', {}, h('span.label', { text: label }),
      h('span.value', { text: value }), extra ? h('span.muted', { text: extra }) : null);
    const cpu = (sys.cpu_share ?? 0) * 100;
    clear(figures).append(
      card(t('system.cpu'), `${fmtNumber(cpu, 1)} %`, `${fmtNumber(sys.cpu_cores_used, 2)} / ${sys.cores}`),
      card(t('system.memory'), `${fmtNumber((sys.rss_bytes || 0) / 1048576, 0)} Mio`),
      card(t('system.uptime'), duration(sys.uptime_s || 0)),
      card(t('system.evidence_queue'), String(sys.evidence_queue ?? 0)),
      card(t('system.sse'), String(sys.sse_clients ?? 0)),
      card(t('system.sessions'), String(sys.sessions ?? 0)));
    clear(table).append(h('thead', {}, h('tr', {},
      [t('system.camera'), t('system.state'), t('system.analysed'), t('system.fps'), t('system.analysis_ms'),
        t('system.dropped'), t('system.reconnects')].map((x) => h('th', { text: x })))));
    const body = h('tbody');
    for (const c of sys.cameras) {
      body.append(h('tr', {},
        h('td', { text: c.name || c.id }),
        h('td', {}, h(`span.badge.health-${c.state}`, { text: healthName(c.state), title: c.reason })),
        h('td', { text: c.permit.analyse ? t('yes') : `${t('no')} (${c.permit.why_not})` }),
        h('td.num', { text: fmtNumber(c.analysed_fps, 1) }),
        h('td.num', { text: fmtNumber(c.analysis_ms, 1) }),
        h('td.num', { text: String(c.frames_dropped) }),
        h('td.num', { text: String(c.reconnects) })));
    }
    table.append(body);
  }
  refresh();
  timer = setInterval(refresh, 2000);
  return () => clearInterval(timer);
}
