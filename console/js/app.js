// The console: login, navigation by role, the global stop, the alert banner and sound, the
// live event stream and the link to the node. Each page is a module with
// mount(root, ctx) -> cleanup.

import { api, get, post, setUnauthenticatedHandler } from './api.js';
import { h, clear, modal } from './dom.js';
import { t, translate, setLang, lang, fmtDate } from './i18n.js';
import { setSoundUser, unlockAudio } from './sound.js';
import { AlertStore } from './store.js';
import { Link } from './link.js';
import { loadSettings } from './settings.js';
import { UndoToast } from './verdict.js';
import * as alertsPage from './alerts.js';
import * as wallPage from './wall.js';
import * as zonesPage from './zones.js';
import * as statsPage from './stats.js';
import * as systemPage from './system.js';
import * as auditPage from './audit.js';
import * as usersPage from './users.js';

// Who sees which page: the API's route table decides what each role may do; pages follow it.
const PAGES = [
  { id: 'alerts', roles: ['operator', 'supervisor', 'auditor'], module: alertsPage },
  { id: 'wall', roles: ['operator', 'supervisor'], module: wallPage },
  { id: 'zones', roles: ['supervisor'], module: zonesPage },
  { id: 'stats', roles: ['supervisor', 'auditor'], module: statsPage },
  { id: 'system', roles: ['supervisor', 'auditor', 'admin'], module: systemPage },
  { id: 'audit', roles: ['auditor', 'admin'], module: auditPage },
  { id: 'users', roles: ['admin'], module: usersPage },
];
const HOME = { operator: 'alerts', supervisor: 'alerts', auditor: 'audit', admin: 'system' };
const MAY_STOP = ['operator', 'supervisor'];

const ctx = {
  me: null,
  ready: false,  // pages mount only once the session's data is loaded
  store: null,
  link: null,
  undo: null,
  stop: null,
  cameras: [],
  cameraName(id) { return this.cameras.find((c) => c.id === id)?.name || id; },
  go(hash) { if (location.hash !== hash) location.hash = hash; else route(); },
  refreshStop: () => refreshStop(),
  askStop: (camera) => askStop(camera),
};
window.__vigie = ctx;  // for troubleshooting from the browser's console

let cleanup = null;

// ---- login ---------------------------------------------------------------------------------

/** The login page; `notice` says why a session ended (never a silent return to it). */
function showLogin(message = '', notice = '') {
  if (ctx.store) ctx.store.close();
  if (ctx.link) ctx.link.stop();
  if (ctx.undo) ctx.undo.hide();
  ctx.store = null;
  ctx.link = null;
  ctx.me = null;
  ctx.ready = false;
  if (cleanup) cleanup();
  cleanup = null;
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message;
  const box = document.getElementById('login-notice');
  box.textContent = notice;
  box.hidden = !notice;
  translate();
  document.getElementById('login-user').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  unlockAudio();  // a user gesture: the alert tones may play from now on
  const user = document.getElementById('login-user').value.trim();
  const password = document.getElementById('login-password').value;
  try {
    await post('/api/v1/login', { user, password });
    document.getElementById('login-password').value = '';
    await start();
  } catch (e) {
    document.getElementById('login-error').textContent = `${t('login.failed')}: ${e.message}`;
  }
}

// ---- shell ---------------------------------------------------------------------------------

function allowed(page) { return ctx.me && page.roles.includes(ctx.me.role); }

/** The node no longer knows this session: say why on the login page. */
function sessionEnded(restarted) {
  if (!ctx.me) return;
  showLogin('', t(restarted ? 'link.restarted' : 'link.session_ended'));
}

function renderNav() {
  const nav = clear(document.getElementById('nav'));
  for (const page of PAGES) {
    if (!allowed(page)) continue;  // pages a role may not use are not shown at all
    nav.append(h('a', { href: `#/${page.id}`, 'data-page': page.id, text: t(`nav.${page.id}`) }));
  }
  const who = document.getElementById('who');
  who.textContent = `${ctx.me.user} (${t(`role.${ctx.me.role}`)})`;
  document.getElementById('stop-button').hidden = !MAY_STOP.includes(ctx.me.role);
  document.getElementById('lang-toggle').textContent = lang === 'fr' ? 'EN' : 'FR';
  translate(document.querySelector('header.top'));
}

function route() {
  // A hash change while the session is still loading waits for start() to route.
  if (!ctx.me || !ctx.ready) return;
  const [, pageId = HOME[ctx.me.role], ...rest] = (location.hash || '').split('/');
  const page = PAGES.find((p) => p.id === pageId);
  if (cleanup) cleanup();
  cleanup = null;
  const root = clear(document.getElementById('page'));
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === pageId);
  }
  if (!page) {
    location.hash = `#/${HOME[ctx.me.role]}`;
    return;
  }
  if (!allowed(page)) {
    root.append(h('div.forbidden', { 'data-testid': 'forbidden' }, h('h2', { text: t('forbidden') })));
    return;
  }
  cleanup = page.module.mount(root, ctx, rest) || null;
}

async function refreshStop() {
  try {
    ctx.stop = await get('/api/v1/stop');
  } catch (e) {
    return;
  }
  const g = ctx.stop.global;
  const el = document.getElementById('stop-state');
  el.hidden = !g.stopped;
  el.textContent = g.stopped
    ? t('stop.stopped', { by: g.by, at: fmtDate(g.at_ms), reason: g.reason }) : '';
  document.getElementById('resume-button').hidden = !(g.stopped && ctx.me?.role === 'supervisor');
  document.body.classList.toggle('stopped', g.stopped);
}

/** Asks for a reason and stops analysis everywhere (camera empty) or on one camera. */
async function askStop(camera = '') {
  const reason = await modal((close) => {
    const input = h('textarea', { rows: 3, required: true, id: 'stop-reason' });
    requireText(input, 'stop.reason_required');
    const form = h('form.dialog-body', {
      onsubmit: (e) => {
        e.preventDefault();
        if (input.value.trim()) close(input.value.trim());
      },
    },
    h('h2', { text: t('stop.title') }),
    h('p.warning', { text: camera ? t('stop.camera_text', { camera: ctx.cameraName(camera) }) : t('stop.global_text') }),
    h('label', {}, t('stop.reason'), input),
    h('div.buttons',
      h('button', { type: 'button', onclick: () => close(null), text: t('stop.cancel') }),
      h('button.stop', { type: 'submit', id: 'stop-confirm', text: t('stop.confirm') })));
    return form;
  });
  if (!reason) return false;
  await post('/api/v1/stop', camera ? { camera, reason } : { reason });
  await refreshStop();
  return true;
}

/** The browser's "fill in this field" message, in the interface's language. */
function requireText(input, key) {
  input.addEventListener('invalid', () => input.setCustomValidity(t(key)));
  input.addEventListener('input', () => input.setCustomValidity(''));
}

async function askResume() {
  const ok = await modal((close) => h('div.dialog-body',
    h('p', { text: t('stop.resume_confirm') }),
    h('div.buttons',
      h('button', { onclick: () => close(null), text: t('stop.cancel') }),
      h('button.primary', { onclick: () => close(true), text: t('stop.resume') }))));
  if (!ok) return;
  await post('/api/v1/resume', {});
  await refreshStop();
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  try {
    ctx.me = await get('/api/v1/me');
  } catch (e) {
    showLogin();
    return;
  }
  setSoundUser(ctx.me.user);
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  try {
    ctx.cameras = (await get('/api/v1/cameras')).cameras;
  } catch (e) {
    ctx.cameras = [];
  }
  renderNav();
  await refreshStop();
  ctx.link = new Link({
    onBack: () => { if (ctx.store) ctx.store.resume(); refreshStop(); },
    onSessionEnded: (restarted) => sessionEnded(restarted),
  });
  ctx.undo = new UndoToast(ctx);
  if (['operator', 'supervisor', 'auditor'].includes(ctx.me.role)) {
    await loadSettings();
    ctx.store = new AlertStore(ctx);
    await ctx.store.open();
  }
  ctx.link.start();
  ctx.ready = true;
  route();
}

function init() {
  document.documentElement.lang = lang;
  translate();
  // A 401 after a cut means the node restarted (sessions live in its memory).
  setUnauthenticatedHandler(() => sessionEnded(!!(ctx.link && (ctx.link.down || ctx.link.streamFailed))));
  requireText(document.getElementById('login-user'), 'login.required');
  requireText(document.getElementById('login-password'), 'login.required');
  document.getElementById('login-form').addEventListener('submit', onLogin);
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => { setLang(b.dataset.lang); translate(); });
  }
  document.getElementById('lang-toggle').addEventListener('click', () => {
    setLang(lang === 'fr' ? 'en' : 'fr');
    translate();
    renderNav();
    refreshStop();
    if (ctx.store) ctx.store.renderBanner();
    route();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    try { await post('/api/v1/logout'); } catch (e) { /* the session may be gone already */ }
    showLogin();
  });
  document.getElementById('stop-button').addEventListener('click', () => askStop(''));
  document.getElementById('resume-button').addEventListener('click', askResume);
  window.addEventListener('hashchange', route);
  setInterval(() => { if (ctx.me) refreshStop(); }, 5000);
  start();
}

init();
export { api };
