// The console end to end: a real vigie node on rendered scenes (an intrusion, a fall, a slow
// camera), killed and restarted on the way, driven with
// Debian's chromium through playwright-core. Writes a screenshot of each page to
// <build>/console-screenshots/. Exit 77 (ctest: skipped) when chromium or playwright-core is
// missing.
//
// node tests/console/e2e.mjs --vigie build/vigie --build build

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP = 77;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const vigie = path.resolve(args.vigie || path.join(repo, 'build', 'vigie'));
const buildDir = path.resolve(args.build || path.join(repo, 'build'));
const chromiumPath = args.chromium || '/usr/bin/chromium';
const shots = path.join(buildDir, 'console-screenshots');
const PASSWORD = 'console-e2e-password';

if (!existsSync(chromiumPath)) {
  console.log(`SKIP: no chromium at ${chromiumPath} (scripts/install-deps.sh test installs it)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.log('SKIP: playwright-core is not installed (make console-deps runs npm ci in tests/console)');
  process.exit(SKIP);
}
if (!existsSync(vigie)) {
  console.error(`no vigie binary at ${vigie}`);
  process.exit(1);
}

const started = Date.now();
const log = (...m) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s]`, ...m);
const failures = [];
function check(ok, what) {
  if (ok) log(`ok: ${what}`);
  else { log(`FAIL: ${what}`); failures.push(what); }
}

const dir = mkdtempSync(path.join(tmpdir(), 'vigie-console-'));
mkdirSync(shots, { recursive: true });
let node = null;
let browser = null;

/** A TCP port free now, for a node that must come back on the same address after a restart. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(fg, bg) {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

/** A scene's camera.yaml as a camera entry of the node's configuration. */
function cameraEntry(scene, id, extra = []) {
  return readFileSync(path.join(dir, scene, 'camera.yaml'), 'utf8').split('\n')
    .filter((l) => l.trim())
    .map((l) => (l.startsWith('url:') ? `url: ${scene}/video.mp4` : l.startsWith('id:') ? `id: ${id}` : l))
    .concat(extra)
    .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`));
}

let configPath = '';
let nodeOutput = '';
async function startNode() {
  node = spawn(vigie, ['run', '--status-interval', '0', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  node.stderr.on('data', (d) => { nodeOutput += d; });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${output}`)), 30000);
    node.stdout.on('data', (d) => {
      output += d;
      const m = /API: (http:\/\/[^\s]+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    node.on('exit', (code) => { clearTimeout(timer); reject(new Error(`node exited with ${code}: ${output}`)); });
  });
}

async function main() {
  // Three looped scenes at real-time pace: someone walks into a forbidden zone at about 13 s
  // (gate), a pedestrian falls at 8 s (hall: person on the ground, a critical type), and a
  // plain street filmed at 2 fps for a camera configured for 5 (yard: degraded).
  execFileSync(vigie, ['synth', '--scenario', 'intrusion', '--seed', '1', '--duration', '20',
    '--out', path.join(dir, 'scene')], { stdio: 'ignore' });
  execFileSync(vigie, ['synth', '--scenario', 'person_fall', '--seed', '1', '--duration', '20',
    '--out', path.join(dir, 'fall')], { stdio: 'ignore' });
  execFileSync(vigie, ['synth', '--scenario', 'normal', '--seed', '1', '--duration', '6', '--fps', '2',
    '--out', path.join(dir, 'slow')], { stdio: 'ignore' });
  const loop = '    input: {realtime: true, loop: true}';
  const now = Date.now();
  const port = await freePort();
  const config = [
    'cameras:', ...cameraEntry('scene', 'gate'), loop, ...cameraEntry('fall', 'hall'), loop,
    ...cameraEntry('slow', 'yard'), loop,
    'storage: {data_dir: data}',
    `api: {port: ${port}, console_dir: ${JSON.stringify(path.join(repo, 'console'))}}`,
    'alerts: {evidence_before_s: 2, evidence_after_s: 2}',
    // Short, so that the test sees a critical alert escalate.
    'console: {escalate_after_s: 6}',
    'authorizations:',
    '  - reference: E2E-1', '    cameras: [gate, hall, yard]', '    event_types: [intrusion, person_on_ground]',
    `    start: ${new Date(now - 3600e3).toISOString()}`, `    end: ${new Date(now + 3600e3).toISOString()}`,
    '    controller: e2e', ''].join('\n');
  configPath = path.join(dir, 'node.yaml');
  writeFileSync(configPath, config);
  for (const role of ['operator', 'supervisor', 'auditor', 'admin']) {
    execFileSync(vigie, ['user', 'add', role, '--role', role, '--config', configPath],
      { env: { ...process.env, VIGIE_PASSWORD: PASSWORD }, stdio: 'ignore' });
  }
  const base = await startNode();
  log(`node at ${base}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
    // playwright gives each launch a fresh, temporary --user-data-dir of its own.
  });
  const viewport = { width: 1400, height: 900 };
  async function session(user, lang = 'fr-FR', hash = '') {
    const context = await browser.newContext({ viewport, locale: lang });
    const page = await context.newPage();
    page.on('pageerror', (e) => failures.push(`${user}: page error ${e.message}`));
    await page.goto(`${base}/`);
    await page.fill('#login-user', user);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    // Navigating while the session is still loading must not break the page.
    if (hash) await page.evaluate((x) => { location.hash = x; }, hash);
    await page.waitForSelector('#app:not([hidden])');
    return page;
  }
  const apiStatus = (page, method, url) => page.evaluate(async ([m, u]) => (await fetch(u, { method: m })).status, [method, url]);
  const apiJson = (page, url) => page.evaluate(async (u) => (await fetch(u)).json(), url);
  const alertState = async (page, id) => (await apiJson(page, `/api/v1/alerts/${id}`)).state;
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  const banners = (page) => page.evaluate(() => window.__vigieBanner || []);
  // Polls a function in the page (the console's CSP forbids the eval of page.waitForFunction).
  async function until(page, fn, arg = null, timeout = 30000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (await page.evaluate(fn, arg).catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // ---- the login page, public -----------------------------------------------------------
  {
    const context = await browser.newContext({ viewport, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#login:not([hidden])');
    check(await page.locator('a[href="/transparency"]').count() === 1, 'the login page links the transparency page');
    await shot(page, '01-login');
    await page.goto(`${base}/transparency`);
    const html = await page.content();
    check(/\d\d\/\d\d\/\d{4} \d\d:\d\d \(UTC[+-]\d\d:\d\d\)/.test(html) && !/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(html),
      'the transparency page shows local times, no raw UTC');
    await context.close();
  }

  // ---- operator: rights, wall, then the alerts -----------------------------------------
  const op = await session('operator');
  const nav = await op.locator('#nav a').allTextContents();
  check(!nav.some((x) => /Utilisateurs|Users|Journal|Zones/.test(x)), `operator menu hides admin pages (${nav.join(', ')})`);
  await op.goto(`${base}/#/users`);
  await op.waitForSelector('[data-testid=forbidden]');
  check(true, 'operator navigating to #/users sees "not allowed"');
  check(await apiStatus(op, 'GET', '/api/v1/users') === 403, 'the API refuses /api/v1/users to an operator (403)');
  await op.goto(`${base}/#/wall`);
  await op.waitForSelector('[data-camera=gate] img:not([hidden])', { timeout: 15000 });
  check(true, 'the camera wall shows a live frame');
  await op.waitForSelector('[data-camera=gate] .badge.health-live', { timeout: 15000 });
  const liveText = await op.textContent('[data-camera=gate] .badge');
  check(liveText === 'en direct', `a live camera's badge is translated ("${liveText}")`);
  await op.waitForSelector('[data-camera=yard] .badge.health-degraded', { timeout: 30000 });
  const yard = await op.textContent('[data-camera=yard] .badge');
  check(yard === 'dégradée', `a camera analysed below its rate is "${yard}", not live`);
  await shot(op, '02-wall');

  // The intrusion and the fall, announced as they are raised.
  await until(op, () => (window.__vigieBanner || []).some((b) => b.type === 'intrusion'), null, 60000);
  const shown = (await banners(op)).find((b) => b.type === 'intrusion');
  const alerts = await apiJson(op, '/api/v1/alerts');
  const alert = alerts.alerts.find((a) => a.id === shown.id);
  check(alert && alert.type === 'intrusion', `the banner announces the engine's alert #${shown.id} (${shown.type})`);
  const delay = shown.shown_ms - alert.raised_ms;
  check(delay >= 0 && delay < 2000, `banner shown ${delay} ms after the alert was raised (< 2000)`);
  check(shown.sounded, 'a tone was played for it');
  await until(op, () => (window.__vigieBanner || []).some((b) => b.type === 'person_on_ground'), null, 60000);
  const fall = (await banners(op)).find((b) => b.type === 'person_on_ground');
  log(`alerts: intrusion #${alert.id}, person on the ground #${fall.id}`);

  // ---- point 3: a critical alert repeats its tone and escalates until opened -------------
  await until(op, () => (window.__vigieSounds.byType.person_on_ground || 0) >= 2, null, 30000);
  check(true, 'the unopened critical alert sounded again');
  await op.waitForSelector('[data-testid=escalation]', { timeout: 30000 });
  const escalation = await op.textContent('[data-testid=escalation]');
  check(/CRITIQUE NON OUVERTE depuis \d+/.test(escalation), `the banner escalates: "${escalation}"`);
  check(/^\(\d+\) vigie$/.test(await op.title()), `the tab title counts open alerts ("${await op.title()}")`);
  await shot(op, '03-banner-escalated');
  // The wall frames cameras with an open alert in its colour; a click opens it.
  await op.waitForSelector('[data-camera=hall].has-alert.ap3', { timeout: 15000 });
  check(true, 'the wall frames the hall camera in the colour of its open alert');

  // ---- reload: what is waiting is announced again ---------------------------------------
  await op.reload();
  await op.waitForSelector('#banner:not([hidden])', { timeout: 20000 });
  const again = await banners(op);
  check(again.some((b) => b.id === fall.id && b.waiting), `after a reload, waiting alerts are announced (${again.length})`);
  check(/^\(\d+\) vigie$/.test(await op.title()), 'after a reload the tab title counts open alerts');

  // ---- point 6: the queue ------------------------------------------------------------------
  await op.goto(`${base}/#/alerts`);
  await op.waitForSelector('[data-testid=open-count]');
  const count = await op.textContent('[data-testid=open-count]');
  check(/^\d+ en attente$/.test(count), `the queue header counts open alerts ("${count}")`);
  const counts = await op.locator('[data-testid=type-counts] .type-count').allTextContents();
  check(counts.some((x) => /Intrusion \d+/.test(x)) && counts.some((x) => /Personne au sol \d+/.test(x)),
    `counts per type (${counts.join(' | ')})`);
  await op.waitForSelector(`ol.queue li[data-id="${alert.id}"] .wait`);
  check(/attend depuis \d+/.test(await op.textContent(`ol.queue li[data-id="${alert.id}"] .wait`)), 'each row shows its waiting time');
  await op.waitForSelector(`ol.queue li[data-id="${alert.id}"] img.thumb[src^="blob:"]`, { timeout: 60000 });
  check(true, 'each row shows a thumbnail of its snapshot');
  await op.selectOption('#filter-type', 'person_on_ground');
  const filtered = await op.locator('ol.queue li[data-id]').evaluateAll((els) => els.map((e) => e.dataset.group));
  check(filtered.length >= 1 && filtered.every((g) => g.endsWith('|person_on_ground')), `the type filter keeps only falls (${filtered.length})`);
  await op.selectOption('#filter-type', '');
  await op.selectOption('#filter-camera', 'gate');
  const byCam = await op.locator('ol.queue li[data-id]').evaluateAll((els) => els.map((e) => e.dataset.group));
  check(byCam.length >= 1 && byCam.every((g) => g.startsWith('gate|')), `the camera filter keeps only gate (${byCam.length})`);
  await op.selectOption('#filter-camera', '');
  // Muting: per non-critical type, journaled; critical types offer no mute.
  check(await op.locator('.type-count[data-type=person_on_ground] button.mute').count() === 0, 'a critical type cannot be muted');
  await op.click('.type-count[data-type=intrusion] button.mute');
  await op.waitForSelector('.type-count[data-type=intrusion] button.mute[aria-pressed=true]');
  check(true, 'intrusion tones are muted for a while');
  await op.click('.type-count[data-type=intrusion] button.mute');
  await op.waitForSelector('.type-count[data-type=intrusion] button.mute[aria-pressed=false]');
  // Rows are reachable from the keyboard.
  await op.focus(`ol.queue li[data-id="${alert.id}"]`);
  await op.keyboard.press('Enter');
  await until(op, (id) => location.hash.startsWith(`#/alerts/${id}`), alert.id);
  check(true, 'a queue row opens with the keyboard (focus, Enter)');
  await op.waitForSelector('[data-testid=alert-state]');
  await op.waitForTimeout(1500);
  check(await op.locator('[data-testid=alert-view] .alert-head').count() === 1, 'the alert view is drawn once');
  check(!/\bnull\b/.test(await op.textContent('[data-testid=alert-view] .side')), 'the alert view shows no stray "null"');
  const reasonTexts = await op.locator('button.reason').allTextContents();
  check(reasonTexts.some((x) => x.includes('Reflet ou lumière')), `reason codes are translated (${reasonTexts[0]})`);
  await op.press('body', 'Escape');
  // n opens the next alert without marking it seen.
  await until(op, () => location.hash === '#/alerts');
  await op.keyboard.press('n');
  await until(op, () => /\/peek$/.test(location.hash));
  const peeked = Number((await op.evaluate(() => location.hash)).split('/')[2]);
  await op.waitForSelector('[data-testid=peek]');
  await op.waitForTimeout(1000);
  check(peeked === fall.id && await alertState(op, peeked) === 'new', `n opened #${peeked} and left it new`);
  await shot(op, '04-queue-peek');

  // ---- point 5: armed buttons, measures, undo --------------------------------------------
  await op.goto(`${base}/#/alerts`);
  await op.waitForSelector(`ol.queue li[data-id="${fall.id}"]`);
  const early = op.evaluate(() => new Promise((resolve) => {
    const look = () => {
      const b = document.getElementById('confirm');
      if (!b) return false;
      const before = window.__vigieIgnored;
      b.click();  // as the second click of a double click would
      resolve({ ignored: window.__vigieIgnored - before, dialog: document.getElementById('dialog').open });
      return true;
    };
    const obs = new MutationObserver(() => { if (look()) obs.disconnect(); });
    obs.observe(document.body, { childList: true, subtree: true });
  }));
  await op.click(`ol.queue li[data-id="${fall.id}"]`);
  const first = await early;
  check(first.ignored === 1 && !first.dialog, 'a click on a freshly shown alert\'s confirm button is ignored');
  await op.waitForSelector('#confirm:not(.arming)');
  check(await alertState(op, fall.id) === 'seen', 'opening the alert by a click marked it seen');
  await op.click('#confirm');
  await op.waitForSelector('dialog[open] [data-measure]');
  const measures = await op.locator('dialog [data-measure]').evaluateAll((els) => els.map((e) => e.dataset.measure));
  check(measures.includes('ambulance_called'), `confirming asks for measures (${measures.join(', ')})`);
  await op.check('dialog [data-measure=ambulance_called]');
  await op.fill('#measures-free', 'e2e: agents on site');
  await shot(op, '05-measures');
  await op.click('#measures-confirm');
  await until(op, async (id) => (await (await fetch(`/api/v1/alerts/${id}`)).json()).state === 'confirmed', fall.id);
  await op.waitForSelector('#undo');
  {
    // The confirmed alert, opened beside (same session), says what was done.
    const beside = await op.context().newPage();
    await beside.goto(`${base}/#/alerts/${fall.id}`);
    const taken = await beside.waitForSelector('[data-testid=measures-taken]');
    check(/secours/i.test(await taken.textContent()), 'the alert view shows the measures taken');
    await beside.close();
  }
  await shot(op, '06-undo');
  await op.click('#undo');
  await until(op, async (id) => (await (await fetch(`/api/v1/alerts/${id}`)).json()).state === 'seen', fall.id);
  check(true, 'the verdict was undone within its window');

  // The intrusion, dismissed from the keyboard: d, then the first reason.
  await op.goto(`${base}/#/alerts/${alert.id}`);
  // A change of hash only: the former alert's view may still be on screen for a moment.
  await op.waitForSelector(`[data-testid=alert-view] h2:has-text("#${alert.id}")`);
  await op.waitForSelector('#confirm:not(.arming)');
  await op.waitForSelector('[data-testid=snapshot]', { timeout: 15000 }).catch(() => null);
  await shot(op, '07-alert');
  await op.keyboard.press('d');
  await op.waitForSelector('.hint');
  await op.keyboard.press('1');
  await until(op, async (id) => (await (await fetch(`/api/v1/alerts/${id}`)).json()).state === 'dismissed', alert.id);
  check(true, 'the operator dismissed the alert with a reason (keys d, 1)');

  // ---- point 7: the alert links to the camera's live tile --------------------------------
  await op.goto(`${base}/#/alerts/${fall.id}`);
  await op.waitForSelector(`[data-testid=alert-view] h2:has-text("#${fall.id}")`);
  await op.click('[data-testid=live-link]');
  await op.waitForSelector('[data-camera=hall].focused');
  check(true, 'the alert view links to its camera\'s live tile');
  await op.waitForSelector('[data-camera=hall].has-alert');
  await op.click('[data-camera=hall] .tile-image');
  await until(op, () => /^#\/alerts\/\d+/.test(location.hash));
  check(true, 'a framed tile opens its alert on click');

  // ---- auditor: the journal, and the alert view without images ---------------------------
  const aud = await session('auditor', 'en-GB');
  await aud.goto(`${base}/#/audit`);
  await aud.fill('#audit-action', 'alert.verdict');
  await aud.click('form.inline button[type=submit]');
  await aud.waitForSelector('tr[data-action="alert.verdict"]');
  check(true, 'the auditor sees the verdict in the journal');
  await aud.waitForSelector('[data-testid=chain].ok');
  check(true, 'the journal chain verifies');
  await shot(aud, '08-audit');
  const verdicts = (await apiJson(aud, '/api/v1/journal?action=alert.verdict')).records;
  const confirmed = verdicts.find((r) => r.action === 'alert.verdict' && r.detail.alert === fall.id);
  check(confirmed && confirmed.detail.measures.includes('ambulance_called') && confirmed.detail.comment === 'e2e: agents on site',
    'the measures are journaled with the verdict');
  const undone = verdicts.find((r) => r.action === 'alert.verdict_undone' && r.detail.alert === fall.id);
  check(undone && undone.actor === 'operator' && undone.detail.undid.verdict === 'confirmed', 'the undo is journaled as such');
  const muted = (await apiJson(aud, '/api/v1/journal?action=console.')).records;
  check(muted.some((r) => r.action === 'console.muted' && r.detail.type === 'intrusion') &&
    muted.some((r) => r.action === 'console.unmuted'), 'muting and unmuting are journaled');
  await aud.goto(`${base}/#/alerts/${alert.id}`);
  await aud.waitForSelector('[data-testid=evidence-forbidden]');
  check(await aud.locator('[data-testid=snapshot]').count() === 0, 'the auditor is told why images are not shown, no broken image');
  await shot(aud, '09-auditor-alert');
  await aud.goto(`${base}/#/stats`);
  await aud.waitForSelector('figure.chart svg');
  await shot(aud, '10-stats');

  // ---- supervisor: straight to #/alerts after login, then draw a zone --------------------
  const sup = await session('supervisor', 'fr-FR', '#/alerts');
  await sup.waitForSelector('[data-testid=queue]');
  check(!failures.some((f) => f.startsWith('supervisor: page error')), 'going to #/alerts right after login raises no error');
  await sup.goto(`${base}/#/zones`);
  await sup.waitForSelector('[data-testid=zone-svg]');
  await sup.waitForTimeout(300);
  await sup.click('[data-tool=zone]');
  const box = await (await sup.waitForSelector('[data-testid=zone-svg]')).boundingBox();
  for (const [fx, fy] of [[0.05, 0.05], [0.25, 0.05], [0.25, 0.25], [0.05, 0.25]]) {
    await sup.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  }
  await sup.keyboard.press('Enter');
  await sup.click('#zones-save');
  await sup.waitForSelector('[data-testid=zone-preview]');
  await sup.click('#zones-confirm');
  await sup.waitForSelector('[data-testid=zone-status].ok');
  const geometry = await apiJson(sup, '/api/v1/cameras/gate/geometry');
  const added = geometry.zones.find((z) => z.id.startsWith('zone-'));
  check(added && added.polygon.length === 4 && geometry.updated_by === 'supervisor', `the drawn zone is stored (${added?.id})`);
  const changed = await apiJson(aud, '/api/v1/journal?action=camera.geometry_changed');
  check(changed.records.length === 1, 'camera.geometry_changed is journaled');
  await shot(sup, '11-zones');

  // ---- supervisor: an analysis mask, drawn with the "not analysed" tool -------------------
  const masksBefore = geometry.analysis_masks.length;
  await sup.click('[data-tool=ignore]');
  const maskBox = await (await sup.waitForSelector('[data-testid=zone-svg]')).boundingBox();
  const maskClicks = [[0.6, 0.6], [0.85, 0.6], [0.85, 0.85], [0.6, 0.85]]
    .map(([fx, fy]) => [maskBox.x + maskBox.width * fx, maskBox.y + maskBox.height * fy]);
  // Where the clicks land in source pixels, by the drawing's own screen transform.
  const maskExpected = await sup.evaluate((clicks) => {
    const m = document.querySelector('[data-testid=zone-svg]').getScreenCTM().inverse();
    return clicks.map(([x, y]) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; });
  }, maskClicks);
  for (const [x, y] of maskClicks) await sup.mouse.click(x, y);
  await sup.keyboard.press('Enter');
  await sup.click('#zones-save');
  await sup.waitForSelector('[data-testid=zone-preview]');
  const maskPreview = await sup.textContent('[data-testid=zone-preview] ul.changes');
  check(/analysis_masks \u00d71/.test(maskPreview), `the preview lists the new analysis mask ("${maskPreview.trim()}")`);
  await sup.click('#zones-confirm');
  await until(sup, async (n) => (await (await fetch('/api/v1/cameras/gate/geometry')).json()).analysis_masks.length > n, masksBefore);
  await sup.waitForSelector('[data-testid=zone-status].ok');
  /** True when `polygon` has the drawn corners, in order, within a pixel of each. */
  const isDrawnMask = (polygon) => polygon.length === maskExpected.length
    && polygon.every((p, i) => Math.abs(p[0] - maskExpected[i][0]) <= 1 && Math.abs(p[1] - maskExpected[i][1]) <= 1);
  const masked = await apiJson(sup, '/api/v1/cameras/gate/geometry');
  check(masked.analysis_masks.length === masksBefore + 1 && isDrawnMask(masked.analysis_masks.at(-1).polygon),
    `the drawn analysis mask is stored where it was drawn (${JSON.stringify(masked.analysis_masks.at(-1)?.polygon)})`);
  check(masked.zones.some((z) => z.id === added?.id), 'saving the mask keeps the zone drawn before');
  const maskJournal = await apiJson(aud, '/api/v1/journal?action=camera.geometry_changed');
  check(maskJournal.records.length === 2, 'the analysis mask change is journaled');
  await shot(sup, '11b-analysis-mask');
  await sup.goto(`${base}/#/system`);
  await sup.waitForSelector('[data-testid=system-cameras] tbody tr');
  await shot(sup, '12-system');

  // ---- admin: users ----------------------------------------------------------------------
  const adm = await session('admin', 'en-GB');
  await adm.goto(`${base}/#/users`);
  await adm.waitForSelector('table.data tbody tr');
  await shot(adm, '13-users');

  // ---- the STOP button's contrast, from its computed colours ----------------------------
  const colours = await op.evaluate(() => {
    const st = getComputedStyle(document.getElementById('stop-button'));
    return [st.color, st.backgroundColor];
  });
  const ratio = contrast(...colours);
  check(ratio >= 4.5, `the STOP button's contrast is ${ratio.toFixed(2)}:1 (>= 4.5)`);

  // ---- the global stop, from the operator's console -------------------------------------
  await op.goto(`${base}/#/alerts`);
  await op.click('#stop-button');
  await op.click('#stop-confirm');  // empty: the browser asks for a reason, in French
  const invalid = await op.evaluate(() => document.getElementById('stop-reason').validationMessage);
  check(invalid === 'Indiquez le motif de l\u2019arrêt.', `the empty stop reason is refused in French ("${invalid}")`);
  await op.fill('#stop-reason', 'e2e: stop test');
  await op.click('#stop-confirm');
  await op.waitForSelector('#stop-state:not([hidden])');
  const cams = await apiJson(op, '/api/v1/cameras');
  check(cams.cameras[0].permit.analyse === false, `the camera is no longer analysed (${cams.cameras[0].permit.why_not})`);
  const stops = await apiJson(aud, '/api/v1/journal?action=stop.stopped');
  check(stops.records.some((r) => r.actor === 'operator'), 'stop.stopped is journaled with the operator as actor');
  await op.goto(`${base}/#/wall`);
  await op.waitForSelector('[data-camera=gate] .tile-note:not([hidden])');
  const note = await op.textContent('[data-camera=gate] .tile-note');
  check(/Analyse arrêtée par operator à \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d/.test(note) && !/\d{4}-\d\d-\d\dT/.test(note),
    `the wall says why in French, in local time ("${note}")`);
  await op.waitForSelector('[data-camera=gate] .badge.health-stopped');
  const stoppedBadge = await op.textContent('[data-camera=gate] .badge');
  check(stoppedBadge === 'non analysée', `a stopped camera's badge no longer says "en direct" ("${stoppedBadge}")`);
  await shot(op, '14-stopped');

  // ---- point 4: the node goes away, then restarts ----------------------------------------
  // A short cut first: the supervisor's console loses the node and resumes on its own.
  await sup.goto(`${base}/#/alerts`);
  await sup.waitForSelector('#live-dot.on', { timeout: 20000 });
  await sup.context().setOffline(true);
  await sup.waitForSelector('[data-testid=link-banner].lost', { timeout: 15000 });
  await sup.context().setOffline(false);
  await until(sup, () => (window.__vigieLink || []).some((e) => e.event === 'back'), null, 20000);
  await sup.waitForSelector('[data-testid=link-banner].back', { timeout: 10000 });
  await sup.waitForSelector('#live-dot.on', { timeout: 20000 });
  check(true, 'after a short cut the console reconnects and resumes the event stream');

  // The wall of a console still logged in before the cut: kill the node.
  await op.goto(`${base}/#/wall`);
  await op.waitForSelector('[data-camera=gate] .tile-note:not([hidden]), [data-camera=hall] img:not([hidden])');
  const killedAt = Date.now();
  node.kill('SIGKILL');
  await op.waitForSelector('[data-testid=link-banner].lost', { timeout: 15000 });
  const lostAt = (await op.evaluate(() => window.__vigieLink)).find((e) => e.event === 'lost').at;
  check(lostAt - killedAt < 5000, `the lost link is shown ${lostAt - killedAt} ms after the node died (< 5000)`);
  check((await op.evaluate(() => window.__vigieLink)).some((e) => e.event === 'alarm' && e.sounded), 'an alarm tone sounded');
  await op.waitForSelector('[data-camera=hall].frozen .frozen-note:not([hidden])', { timeout: 10000 });
  const frozen = await op.textContent('[data-camera=hall] .frozen-note');
  check(/^Image figée depuis \d\d:\d\d:\d\d$/.test(frozen), `the wall is greyed: "${frozen}"`);
  check(await op.textContent('[data-camera=hall] .badge') === 'hors ligne', 'a frozen tile no longer claims to be live');
  await shot(op, '15-link-lost');
  await new Promise((r) => { if (node.exitCode !== null || node.signalCode) r(); else node.on('exit', r); });
  nodeOutput = '';
  await startNode();
  log('node restarted');
  await op.waitForSelector('[data-testid=login-notice]:not([hidden])', { timeout: 30000 });
  const notice = await op.textContent('[data-testid=login-notice]');
  check(/redémarré/.test(notice), `after the restart the console says so: "${notice}"`);
  await shot(op, '16-restarted');
  // The geometry saved from the console is stored by the node: a restart keeps it.
  const supAgain = await session('supervisor');
  const kept = await apiJson(supAgain, '/api/v1/cameras/gate/geometry');
  check(kept.analysis_masks.some((m) => isDrawnMask(m.polygon)), 'after the restart the analysis mask drawn in the console is still there');
}

try {
  await main();
} catch (e) {
  failures.push(`error: ${e.stack || e}`);
  log(e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (node && node.exitCode === null) {
    node.kill('SIGTERM');
    await new Promise((r) => { node.on('exit', r); setTimeout(r, 5000); });
  }
  rmSync(dir, { recursive: true, force: true });
}
log(`screenshots in ${shots}`);
if (failures.length) {
  console.log(`${failures.length} failure(s):\n - ${failures.join('\n - ')}`);
  process.exit(1);
}
log('console e2e: all passed');
