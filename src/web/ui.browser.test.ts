import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createUiServer } from './server.js';

/**
 * The UI in a real browser (Debian's Chromium, headless, driven by playwright-core): it loads, redraws when the
 * model and a device change, shows readable messages for bad input, keeps the server alive, and works from the
 * exported files with no server and no network; the HTML report opens offline too. Screenshots go to
 * dist/test-artifacts/. Outside CI, a machine without Chromium skips this test (saying so); in CI it never skips.
 */
const CHROMIUM = process.env.PHASEWISE_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const SKIP = !fs.existsSync(CHROMIUM) && !IN_CI ? `no Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" to run the browser test (CI installs it and never skips)` : false;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = path.join(ROOT, 'dist', 'web', 'index.html');
const ARTIFACTS = path.join(ROOT, 'dist', 'test-artifacts');
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The functions given to waitForFunction/evaluate run in the page; these are the browser globals they use.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { dataset: Record<string, string | undefined> } | null;
  querySelectorAll(selector: string): Iterable<{ width: number }>;
};

const seriesOf = async (page: Page): Promise<string> => (await page.getAttribute('#frontier', 'data-series')) ?? '';
const cdfOf = async (page: Page): Promise<Array<{ label: string; points: number[][] }>> => JSON.parse((await page.getAttribute('#cdf', 'data-series')) ?? '[]');

/** A latency CDF as plotted: many quantiles (not just p50/p90/p99), rising in both latency and share. */
function assertCdf(series: Array<{ label: string; points: number[][] }>, deployments: number): void {
  assert.equal(series.length, 2 * deployments, JSON.stringify(series.map((s) => s.label)));
  for (const s of series) {
    assert.match(s.label, / · (TTFT|TPOT)$/);
    assert.ok(s.points.length > 3, `${s.label}: ${s.points.length} points`);
    for (let i = 1; i < s.points.length; i++) {
      assert.ok(s.points[i]![0]! >= s.points[i - 1]![0]! && s.points[i]![1]! > s.points[i - 1]![1]!, `${s.label} is not a CDF: ${JSON.stringify(s.points)}`);
    }
  }
}

async function settled(page: Page, state: 'ready' | 'error'): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: 90_000 });
}

/** Set a field as a user would and fire its change event (what the page listens to). */
async function setField(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, 'change');
}

async function redrawn(page: Page, before: string): Promise<string> {
  await page.waitForFunction(
    (prev) => document.body.dataset.state === 'ready' && document.querySelector('#frontier')?.dataset.series !== prev,
    before,
    { timeout: 90_000 },
  );
  return seriesOf(page);
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(text));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
}

test('web UI in Chromium: redraws on change, reports bad input, survives bad requests, runs from its exported files', { skip: SKIP, timeout: 300_000 }, async () => {
  assert.ok(fs.existsSync(PAGE), `${PAGE} missing: run \`npm run build\` (it builds the web bundle)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const html = fs.readFileSync(PAGE, 'utf8');
  const server = createUiServer(() => html);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-chromium-'));
  let context: BrowserContext | null = null;
  const external: string[] = [];
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 1600 } });
    // Offline by construction: anything but this server, files, blobs and data URLs is refused and recorded.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(origin) || /^(file|blob|data):/.test(u)) return route.continue();
      external.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await page.goto(`${origin}/`);
    await settled(page, 'ready');
    const first = await seriesOf(page);
    const firstSeries = JSON.parse(first) as Array<{ label: string; points: number[][] }>;
    assert.ok(firstSeries.length >= 2 && firstSeries.every((s) => s.points.length > 0), first);
    const firstCdf = await cdfOf(page);
    assertCdf(firstCdf, firstSeries.length);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui.png'), fullPage: true });

    // Another model: every curve moves.
    await setField(page, '#model', 'Qwen/Qwen3-8B');
    const second = await redrawn(page, first);
    // Another device for the colocated role: its curve moves and is relabelled.
    await page.selectOption('#colocated-device', 'b200');
    const third = await redrawn(page, second);
    const before = JSON.parse(second) as typeof firstSeries;
    const after = JSON.parse(third) as typeof firstSeries;
    assert.match(after[0]!.label, /b200/);
    assert.notDeepEqual(after[0]!.points, before[0]!.points);
    assert.notDeepEqual(before[0]!.points, firstSeries[0]!.points);
    // The latency CDFs moved with them.
    const changedCdf = await cdfOf(page);
    assertCdf(changedCdf, after.length);
    assert.notDeepEqual(changedCdf[0]!.points, firstCdf[0]!.points);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-changed.png'), fullPage: true });

    // An attention/FFN-disaggregated deployment joins the charts with its per-layer timeline.
    await page.check('#afd-on');
    const fourth = await redrawn(page, third);
    assert.equal((JSON.parse(fourth) as typeof firstSeries).length, 3);
    assert.equal(((await page.textContent('#afd-note')) ?? '').trim(), '', 'the AFD timeline was drawn');
    await page.uncheck('#afd-on');
    await redrawn(page, fourth);

    // Bad input: a readable message on the page, never a crash.
    await setField(page, '#ttft', '0');
    await settled(page, 'error');
    assert.match((await page.textContent('#message')) ?? '', /SLO TTFT p99 \(ms\): got "0"; accepted: a number greater than 0/);
    await setField(page, '#ttft', '1000');
    await settled(page, 'ready');
    await setField(page, '#model', 'acme/not-a-model');
    await settled(page, 'error');
    assert.match((await page.textContent('#message')) ?? '', /"acme\/not-a-model" is not a built-in model/);
    await setField(page, '#model', 'Qwen/Qwen3-8B');
    await settled(page, 'ready');
    await page.fill('#budget', '0.01');
    await page.click('#plan-button');
    await settled(page, 'error');
    const planMessage = (await page.textContent('#message')) ?? '';
    assert.match(planMessage, /No deployment meets the SLO within the limits/);
    assert.match(planMessage, /--max-usd-per-hour 0.01/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-bad-input.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);

    // The server shrugs off bad requests and keeps serving.
    assert.equal((await fetch(`${origin}/nope`)).status, 404);
    assert.equal((await fetch(`${origin}/`, { method: 'POST', body: 'x' })).status, 405);
    assert.match(await rawRequest(port, 'NONSENSE\r\n\r\n'), /400/);
    assert.equal((await fetch(`${origin}/healthz`)).status, 200);

    // The exported static site, from its files: no server at all.
    const site = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-site-'));
    const exported = spawnSync(process.execPath, [MAIN, 'ui', '--export', site], { encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    const offline = await context.newPage();
    await offline.goto(pathToFileURL(path.join(site, 'index.html')).href);
    await settled(offline, 'ready');
    assert.ok((JSON.parse(await seriesOf(offline)) as typeof firstSeries).every((s) => s.points.length > 0));
    await offline.screenshot({ path: path.join(ARTIFACTS, 'ui-static.png'), fullPage: true });

    // The HTML report, from its file.
    const report = path.join(site, 'report.html');
    const made = spawnSync(process.execPath, [MAIN, 'report', path.join(ROOT, 'examples', 'llama70b-pd-h100.yaml'), '--out', report], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const rep = await context.newPage();
    await rep.goto(pathToFileURL(report).href);
    await settled(rep, 'ready');
    assert.ok(await rep.evaluate(() => [...document.querySelectorAll('canvas')].every((c) => c.width > 0)));
    assertCdf(await cdfOf(rep), 1);
    await rep.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });

    assert.deepEqual(external, [], 'no request left the machine');
  } finally {
    await context?.close();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
