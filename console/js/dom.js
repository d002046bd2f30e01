// Small DOM helpers: h('div.class', {attrs}, children...).

function isAttrs(x) {
  return x && typeof x === 'object' && !(x instanceof Node) && !Array.isArray(x);
}

export function h(tag, attrs = {}, ...children) {
  if (!isAttrs(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  if (!isAttrs(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

/** A modal dialog; resolves with the value given to close(), or null when cancelled. */
export function modal(build) {
  const dialog = document.getElementById('dialog');
  clear(dialog);
  return new Promise((resolve) => {
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      resolve(value);
    };
    dialog.append(build(close));
    dialog.onclose = () => close(null);
    dialog.showModal();
    const first = dialog.querySelector('textarea, input, select');
    if (first) first.focus();
  });
}
