// The journal with filters (action prefix, actor, time range) and the hash chain's status.

import { get } from './api.js';
import { h, clear } from './dom.js';
import { t, fmtDate } from './i18n.js';

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

export function mount(root) {
  const chain = h('p.chain', { 'data-testid': 'chain' });
  const action = h('input', { id: 'audit-action', placeholder: 'alert.', size: 16 });
  const actor = h('input', { id: 'audit-actor', size: 12 });
  const from = h('input', { type: 'datetime-local', value: localInput(Date.now() - 24 * 3600 * 1000) });
  const to = h('input', { type: 'datetime-local' });
  const table = h('table.data.journal', { 'data-testid': 'journal' });
  const body = h('tbody');
  const more = h('button', { text: t('audit.more'), hidden: true });
  const error = h('p.error');
  let next = null;

  const form = h('form.inline', { onsubmit: (e) => { e.preventDefault(); load(true); } },
    h('label', {}, t('audit.action'), action), h('label', {}, t('audit.actor'), actor),
    h('label', {}, t('audit.from'), from), h('label', {}, t('audit.to'), to),
    h('button.primary', { type: 'submit', text: t('audit.filter') }));
  table.append(h('thead', {}, h('tr', {}, ['#', t('audit.at'), t('audit.actor'), t('audit.action'), t('audit.detail')].map((x) => h('th', { text: x })))), body);
  root.append(h('h2', { text: t('audit.title') }), chain, form, error, table, more);
  more.addEventListener('click', () => load(false));

  async function verify() {
    try {
      const v = await get('/api/v1/journal/verify');
      chain.className = v.ok ? 'chain ok' : 'chain broken';
      chain.textContent = v.ok ? t('audit.chain_ok', { n: v.records, head: (v.head || '').slice(0, 16) })
        : t('audit.chain_broken', { seq: v.break.seq, reason: v.break.reason });
    } catch (e) { chain.textContent = e.message; }
  }

  async function load(reset) {
    const q = new URLSearchParams({ limit: '200' });
    if (action.value.trim()) q.set('action', action.value.trim());
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (from.value) q.set('from', String(new Date(from.value).getTime()));
    if (to.value) q.set('to', String(new Date(to.value).getTime()));
    if (!reset && next) q.set('after', String(next));
    error.textContent = '';
    try {
      const page = await get(`/api/v1/journal?${q}`);
      if (reset) clear(body);
      for (const r of page.records) {
        body.append(h('tr', { 'data-action': r.action }, h('td.num', { text: String(r.seq) }),
          h('td', { text: fmtDate(r.at_ms) }), h('td', { text: r.actor }),
          h('td', {}, h('code', { text: r.action })),
          h('td.detail', { text: JSON.stringify(r.detail) })));
      }
      next = page.next_after;
      more.hidden = !next;
    } catch (e) { error.textContent = e.message; }
  }
  verify();
  load(true);
}
