// Guards around a verdict. Buttons of a freshly shown alert ignore clicks for a second (a
// double click meant for the previous screen must not judge the next alert), a confirmation
// asks for the measures taken, and every verdict can be taken back for the node's undo window
// (the node checks the author and the window, and journals the undo).

import { post } from './api.js';
import { h, modal, clear } from './dom.js';
import { t, codeName, errorText } from './i18n.js';
import { settings } from './settings.js';

export const ARM_MS = 1000;
window.__vigieIgnored = window.__vigieIgnored || 0;

/** Arming for one alert: clicks before `armedAt` are counted and ignored. */
export class Arming {
  constructor() { this.id = null; this.armedAt = 0; }

  /** Starts the delay the first time buttons are shown for alert `id`. */
  begin(id) {
    if (this.id === id) return;
    this.id = id;
    this.armedAt = Date.now() + ARM_MS;
  }

  armed() {
    if (Date.now() >= this.armedAt) return true;
    window.__vigieIgnored += 1;
    return false;
  }

  /** Shows the buttons as inactive until armed. */
  style(buttons) {
    const wait = this.armedAt - Date.now();
    if (wait <= 0) return;
    for (const b of buttons) { b.classList.add('arming'); b.setAttribute('aria-disabled', 'true'); }
    setTimeout(() => {
      for (const b of buttons) { b.classList.remove('arming'); b.removeAttribute('aria-disabled'); }
    }, wait);
  }
}

/** Asks which measures were taken; resolves { measures, comment } or null when cancelled. */
export function askMeasures(type, comment = '') {
  const list = settings().measures[type] || [];
  return modal((close) => {
    const boxes = list.map((m) => h('input', { type: 'checkbox', value: m, 'data-measure': m }));
    const free = h('textarea', { rows: 2, id: 'measures-free', placeholder: t('alert.measures_free') });
    free.value = comment;
    return h('form.dialog-body', {
      onsubmit: (e) => {
        e.preventDefault();
        close({ measures: boxes.filter((b) => b.checked).map((b) => b.value), comment: free.value.trim() });
      },
    },
    h('h2', { text: t('alert.measures_title') }),
    h('ul.measures', {}, list.map((m, i) => h('li', {}, h('label.check', {}, boxes[i], codeName('measure', m))))),
    h('label', {}, t('alert.measures_free'), free),
    h('div.buttons',
      h('button', { type: 'button', onclick: () => close(null), text: t('stop.cancel') }),
      h('button.confirm', { type: 'submit', id: 'measures-confirm', text: t('alert.measures_confirm') })));
  });
}

/** The toast that offers to undo the verdicts just given; undo() resolves when done. */
export class UndoToast {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = document.getElementById('toast');
    this.ids = [];
    this.timer = null;
  }

  show(alerts, confirmed) {
    this.hide();
    this.ids = alerts.map((a) => a.id);
    const until = Date.now() + settings().verdict_undo_s * 1000;
    const text = t(confirmed ? 'undo.done_confirmed' : 'undo.done_dismissed', { id: this.ids.join(', #') });
    const button = h('button.primary', { id: 'undo', onclick: () => this.undo() });
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) { this.hide(); return; }
      button.textContent = t('undo.button', { s: left });
    };
    tick();
    this.timer = setInterval(tick, 250);
    clear(this.el).append(h('span', { text }), button);
    this.el.hidden = false;
  }

  async undo() {
    const ids = this.ids;
    if (!ids.length) return;
    this.hide();
    const failed = [];
    for (const id of ids) {
      try {
        this.ctx.store.update(await post(`/api/v1/alerts/${id}/undo`));
      } catch (e) { failed.push(errorText(e)); }
    }
    clear(this.el).append(h('span', { text: failed.length ? failed.join(' ; ') : t('undo.undone', { id: ids.join(', #') }) }));
    this.el.hidden = false;
    this.timer = setTimeout(() => this.hide(), 4000);
    this.ctx.go(`#/alerts/${ids[0]}`);
  }

  hide() {
    clearInterval(this.timer);
    clearTimeout(this.timer);
    this.ids = [];
    if (this.el) { this.el.hidden = true; clear(this.el); }
  }
}
