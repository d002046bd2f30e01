// The console end to end: a real vigie node on a rendered intrusion scene, driven with
// Debian's chromium through playwright-core. Writes a screenshot of each page to
// <build>/console-screenshots/. Exit 77 (ctest: skipped) when chromium or playwright-core is
// missing.
//
// node tests/console/e2e.mjs --vigie build/vigie --build build

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

async function main() {
  // A scene where someone walks into a forbidden zone at about 13 s, looped, at real-time pace.
  execFileSync(vigie, ['synth', '--scenario', 'intrusion', '--seed', '1', '--duration', '20',
    '--out', path.join(dir, 'scene')], { stdio: 'ignore' });
  const camera = readFileSync(path.join(dir, 'scene', 'camera.yaml'), 'utf8').split('\n')
    .filter((l) => l.trim())
    .map((l) => (l.startsWith('url:') ? 'url: scene/video.mp4' : l.startsWith('id:') ? 'id: gate' : l))
    .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`));
  const now = Date.now();
  const config = [
    'cameras:', ...camera, '    input: {realtime: true, loop: true}',
    'storage: {data_dir: data}',
    `api: {port: 0, console_dir: ${JSON.stringify(path.join(repo, 'console'))}}`,
    'alerts: {evidence_before_s: 2, evidence_after_s: 2}',
    'authorizations:',
    '  - reference: E2E-1', '    cameras: [gate]', '    event_types: [intrusion]',
    `    start: ${new Date(now - 3600e3).toISOString()}`, `    end: ${new Date(now + 3600e3).toISOString()}`,
    '    controller: e2e', ''].join('\n');
  const configPath = path.join(dir, 'node.yaml');
  writeFileSync(configPath, config);
  for (const role of ['operator', 'supervisor', 'auditor', 'admin']) {
    execFileSync(vigie, ['user', 'add', role, '--role', role, '--config', configPath],
      { env: { ...process.env, VIGIE_PASSWORD: PASSWORD }, stdio: 'ignore' });
  }

  node = spawn(vigie, ['run', '--status-interval', '0', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  node.stderr.on('data', (d) => { output += d; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${output}`)), 20000);
    node.stdout.on('data', (d) => {
      output += d;
      const m = /API: (http:\/\/[^\s]+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    node.on('exit', (code) => reject(new Error(`node exited with ${code}: ${output}`)));
  });
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
  async function session(user, lang = 'fr-FR') {
    const context = await browser.newContext({ viewport, locale: lang });
    const page = await context.newPage();
    page.on('pageerror', (e) => failures.push(`${user}: page error ${e.message}`));
    await page.goto(`${base}/`);
    await page.fill('#login-user', user);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    return page;
  }
  const apiStatus = (page, method, url) => page.evaluate(async ([m, u]) => (await fetch(u, { method: m })).status, [method, url]);
  const apiJson = (page, url) => page.evaluate(async (u) => (await fetch(u)).json(), url);
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`) });

  // ---- the login page, public -----------------------------------------------------------
  {
    const context = await browser.newContext({ viewport, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#login:not([hidden])');
    check(await page.locator('a[href="/transparency"]').count() === 1, 'the login page links the transparency page');
    await shot(page, '01-login');
    await context.close();
  }

  // ---- operator: rights, wall, then the alert ------------------------------------------
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
  await shot(op, '02-wall');

  const banner = await op.waitForSelector('#banner:not([hidden])', { timeout: 40000 });
  const shown = await op.evaluate(() => window.__vigieBanner[0]);
  const sounds = await op.evaluate(() => window.__vigieSounds);
  const alerts = await apiJson(op, '/api/v1/alerts');
  const alert = alerts.alerts.find((a) => a.id === shown.id);
  check(alert && alert.type === 'intrusion', `the banner announces the engine's alert #${shown.id} (${shown.type})`);
  const delay = shown.shown_ms - alert.raised_ms;
  check(delay >= 0 && delay < 2000, `banner shown ${delay} ms after the alert was raised (< 2000)`);
  check(sounds.started >= 1 && shown.sounded, `a tone was played (${sounds.started} started)`);
  await shot(op, '03-banner');

  await banner.$eval('button', (b) => b.click());
  await op.waitForSelector('[data-testid=alert-state]');
  await op.waitForSelector('[data-testid=snapshot]', { timeout: 15000 }).catch(() => null);
  await op.waitForTimeout(500);
  await shot(op, '04-alert');
  // Dismiss from the keyboard: d, then the first reason.
  await op.keyboard.press('d');
  await op.waitForSelector('.hint');
  await op.keyboard.press('1');
  await op.waitForFunction(async (id) => (await (await fetch(`/api/v1/alerts/${id}`)).json()).state === 'dismissed', alert.id);
  check(true, 'the operator dismissed the alert with a reason (keys d, 1)');
  await shot(op, '05-queue-after-verdict');

  // ---- auditor: the verdict is in the journal --------------------------------------------
  const aud = await session('auditor', 'en-GB');
  await aud.goto(`${base}/#/audit`);
  await aud.fill('#audit-action', 'alert.verdict');
  await aud.click('form.inline button[type=submit]');
  await aud.waitForSelector('tr[data-action="alert.verdict"]');
  check(true, 'the auditor sees the verdict in the journal');
  await aud.waitForSelector('[data-testid=chain].ok');
  check(true, 'the journal chain verifies');
  await shot(aud, '06-audit');
  await aud.goto(`${base}/#/stats`);
  await aud.waitForSelector('figure.chart svg');
  await shot(aud, '07-stats');

  // ---- supervisor: draw a zone and save it ---------------------------------------------
  const sup = await session('supervisor');
  await sup.goto(`${base}/#/zones`);
  const svg = await sup.waitForSelector('[data-testid=zone-svg]');
  await sup.waitForTimeout(300);
  await sup.click('[data-tool=zone]');
  const box = await (await sup.waitForSelector('[data-testid=zone-svg]')).boundingBox();
  for (const [fx, fy] of [[0.05, 0.05], [0.25, 0.05], [0.25, 0.25], [0.05, 0.25]]) {
    await sup.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  }
  await sup.keyboard.press('Enter');
  await sup.click('#zones-save');
  await sup.waitForSelector('[data-testid=zone-preview]');
  await shot(sup, '08-zone-preview');
  await sup.click('#zones-confirm');
  await sup.waitForSelector('[data-testid=zone-status].ok');
  const geometry = await apiJson(sup, '/api/v1/cameras/gate/geometry');
  const added = geometry.zones.find((z) => z.id.startsWith('zone-'));
  check(added && added.polygon.length === 4 && geometry.updated_by === 'supervisor', `the drawn zone is stored (${added?.id})`);
  const changed = await apiJson(aud, '/api/v1/journal?action=camera.geometry_changed');
  check(changed.records.length === 1, 'camera.geometry_changed is journaled');
  await shot(sup, '09-zones');
  await sup.goto(`${base}/#/system`);
  await sup.waitForSelector('[data-testid=system-cameras] tbody tr');
  await shot(sup, '10-system');
  void svg;

  // ---- admin: users ----------------------------------------------------------------------
  const adm = await session('admin', 'en-GB');
  await adm.goto(`${base}/#/users`);
  await adm.waitForSelector('table.data tbody tr');
  await shot(adm, '11-users');

  // ---- the global stop, from the operator's console -------------------------------------
  await op.goto(`${base}/#/alerts`);
  await op.click('#stop-button');
  await op.fill('#stop-reason', 'e2e: stop test');
  await op.click('#stop-confirm');
  await op.waitForSelector('#stop-state:not([hidden])');
  const cams = await apiJson(op, '/api/v1/cameras');
  check(cams.cameras[0].permit.analyse === false, `the camera is no longer analysed (${cams.cameras[0].permit.why_not})`);
  const stops = await apiJson(aud, '/api/v1/journal?action=stop.stopped');
  check(stops.records.some((r) => r.actor === 'operator'), 'stop.stopped is journaled with the operator as actor');
  await op.goto(`${base}/#/wall`);
  await op.waitForSelector('[data-camera=gate] .tile-note:not([hidden])');
  await shot(op, '12-stopped');
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
