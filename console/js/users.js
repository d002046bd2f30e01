// User management (admins): list, create, enable or disable.

import { get, post, patch } from './api.js';
import { h, clear } from './dom.js';
import { t, fmtDate } from './i18n.js';

export function mount(root) {
  const table = h('table.data');
  const error = h('p.error');
  const name = h('input', { required: true, size: 14 });
  const role = h('select', {}, ['operator', 'supervisor', 'auditor', 'admin'].map((r) => h('option', { value: r, text: t(`role.${r}`) })));
  const password = h('input', { type: 'password', required: true, size: 14, autocomplete: 'new-password' });
  const form = h('form.inline', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        await post('/api/v1/users', { name: name.value.trim(), role: role.value, password: password.value });
        name.value = '';
        password.value = '';
        refresh();
      } catch (err) { error.textContent = err.message; }
    },
  }, h('label', {}, t('users.name'), name), h('label', {}, t('users.role'), role),
  h('label', {}, t('users.password'), password), h('button.primary', { type: 'submit', text: t('users.create') }));
  root.append(h('h2', { text: t('users.title') }), form, error, table);

  async function refresh() {
    const { users } = await get('/api/v1/users');
    clear(table).append(h('thead', {}, h('tr', {}, [t('users.name'), t('users.role'), t('users.disabled'), '', ''].map((x) => h('th', { text: x })))));
    const body = h('tbody');
    for (const u of users) {
      body.append(h('tr', {}, h('td', { text: u.name }), h('td', { text: t(`role.${u.role}`) }),
        h('td', { text: u.disabled ? t('yes') : t('no') }), h('td.muted', { text: fmtDate(u.created_ms) }),
        h('td', {}, h('button.small', {
          text: t('users.toggle'),
          onclick: async () => { await patch(`/api/v1/users/${encodeURIComponent(u.name)}`, { disabled: !u.disabled }); refresh(); },
        }))));
    }
    table.append(body);
  }
  refresh().catch((e) => { error.textContent = e.message; });
}
