// The web UI in headless Chromium: a lead logs in, works an exception from the queue to resolution (what
// happened, evidence, refusals shown as errors, the four-eyes approval of a second lead), filters, sorts and
// bulk-assigns the queue, resolves a whole incident with one root cause, and reads the dashboard's charts; a store
// user counts on the mobile store page and cannot open another store's exception; an admin adds and disables a
// person and checks a broken rules file.
//
// Runs the real `retex` binary (RETEX_BIN) on a temporary SQLite file with the server tests' world, a third
// store's exceptions (queue.ndjson) and a fourth store's incident (incidents.ndjson), and Debian's Chromium
// (CHROMIUM, default /usr/bin/chromium) through playwright-core. With RETEX_SCREENSHOTS set, the queue, an
// exception page, the incident list and an incident's page, and the admin page are saved there at phone and desk
// widths, for review.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const world = join(here, '..', '..', 'crates', 'retex-server', 'tests', 'data', 'world.ndjson');
const thirdStore = join(here, 'queue.ndjson');
const fourthStore = join(here, 'incidents.ndjson');
const screenshots = process.env.RETEX_SCREENSHOTS;
const rules = join(here, 'rules.toml');
const bin = process.env.RETEX_BIN;
const password = 'correct horse';
const port = 18000 + (process.pid % 1000);
const base = `http://127.0.0.1:${port}`;

let dir;
let server;
let browser;

function retex(args, input) {
  return execFileSync(bin, args, { input, encoding: 'utf8' });
}

before(async () => {
  assert.ok(bin, 'set RETEX_BIN to the retex binary');
  dir = mkdtempSync(join(tmpdir(), 'retex-browser-'));
  const db = join(dir, 'retex.db');
  retex(['ingest', '--db', db, '--rules', rules, world, thirdStore, fourthStore]);
  retex(['user', 'add', '--db', db, 'lead', '--role', 'operations_lead'], password + '\n');
  retex(['user', 'add', '--db', db, 'olga', '--role', 'operations_lead'], password + '\n');
  retex(['user', 'add', '--db', db, 'ada', '--role', 'admin'], password + '\n');
  retex(['user', 'add', '--db', db, 'sam', '--role', 'team_member', '--team', 'store S1', '--locations', 'S1'], password + '\n');
  server = spawn(bin, ['serve', '--db', db, '--rules', rules, '--clock', 'log', '--listen', `127.0.0.1:${port}`], { stdio: 'inherit', env: { ...process.env, RETEX_LOG: 'warn' } });
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    assert.ok(attempt < 100, 'the server did not start within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // A fake camera, so that the store page's scan can open one (its barcode detector is stubbed below).
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Saves the page at phone and desk width into RETEX_SCREENSHOTS, when set.
async function saveScreenshots(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(screenshots, `${name}-${width}.png`), fullPage: true });
  }
}

async function logIn(name, context = browser) {
  const page = await context.newPage();
  await page.goto(`${base}/queue`);
  assert.match(page.url(), /\/login\?next=\/queue$/);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/queue`);
  return page;
}

// Checks the page never scrolls sideways at desk or phone width, and saves it at both (saveScreenshots).
async function fitsAndSaved(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways at ${width} px by ${overflow} px`);
  }
  await saveScreenshots(page, name);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('a lead works an exception from the queue to resolution', async () => {
  const page = await logIn('lead');
  const rows = page.locator('table.queue tbody tr');
  assert.ok((await rows.count()) >= 2, 'the queue lists the open exceptions');
  // Work on store S2's exception; the store user's test below needs S1's still open.
  const first = rows.filter({ has: page.locator('td.place', { hasText: /^S2/ }) }).first().locator('a');
  const id = (await first.textContent()).trim();
  await first.click();
  await page.waitForURL(`${base}/exceptions/${id}`);
  assert.equal((await page.textContent('#status')).trim(), 'open');

  assert.match(await page.textContent('#what-happened'), /counted 10, ledger 45, variance -35 × 20\.00 = 700\.00 EUR/);
  assert.match(await page.textContent('#where'), /^S2 \(Two\) · K1 \(Kettle\)$/);
  assert.match(await page.textContent('#procedure'), /Recount the shelf/);
  assert.equal(
    (await page.textContent('#approval-need')).trim(),
    'Needs approval: impact 700.00 EUR above 500.00 EUR (rule for count_variance); approver role operations_lead',
  );

  await page.click('button[value=ack]');
  await page.waitForURL(/notice=Done/);
  assert.match(await page.textContent('.notice'), /Done: acknowledge/);
  assert.match(await page.textContent('.timeline'), /lead\s+acknowledge/);
  assert.match(await page.textContent('#acknowledged'), /acknowledged by lead at 2026-\d\d-\d\d \d\d:\d\d UTC/);
  assert.equal(await page.locator('button[value=ack]').count(), 0, 'the acknowledge button goes once used');

  await page.setInputFiles('input[name=file]', {
    name: 'recount.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('recounted twice: 10 on the shelf'),
  });
  await page.click('button:has-text("Attach")');
  await page.waitForURL(/notice=Attached/);
  assert.match(await page.textContent('ul.evidence'), /recount\.txt \(text\/plain, 32 bytes, by lead\)/);

  // Resolves from a page whose address does not match `comesBack` yet: the page it comes back to does.
  const resolve = async (comesBack) => {
    await page.selectOption('form.resolve select[name=root_cause]', 'count_inaccuracy');
    await page.selectOption('form.resolve select[name=resolution]', 'stock_adjusted');
    await page.fill('form.resolve input[name=note]', 'recounted the shelf');
    await page.click('form.resolve button[type=submit]');
    await page.waitForURL(comesBack);
  };
  await resolve(/error=/);
  assert.match(page.url(), /error=/);
  assert.equal(await page.locator('.notice').count(), 0, 'a refusal is not "Done"');
  assert.match(await page.textContent('#error'), /request approval, and have another operations_lead approve/);
  await page.fill('input[name=reason]', 'write-off of 35 units');
  await page.click('button:has-text("Request approval")');
  await page.waitForURL(/notice=Done/);
  assert.match(await page.textContent('#approval'), /pending, asked by lead/);
  assert.equal(await page.locator('form.approve').count(), 0, 'the requester cannot decide their own request');
  await resolve(/error=/);
  assert.match(await page.textContent('#error'), /lead asked for approval, still pending/);
  await saveScreenshots(page, 'exception');
  await page.setViewportSize({ width: 1280, height: 720 });

  const olga = await logIn('olga');
  await olga.goto(`${base}/exceptions/${id}`);
  await olga.click('form.approve button[value=approve]');
  await olga.waitForURL(/notice=Done/);
  assert.match(await olga.textContent('#approval'), /approved, asked by lead, decided by olga/);
  await olga.close();

  await page.goto(`${base}/exceptions/${id}`);
  await resolve(/notice=Done/);
  assert.equal((await page.textContent('#status')).trim(), 'resolved');
  assert.equal((await page.textContent('#root-cause')).trim(), 'count_inaccuracy');

  await page.goto(`${base}/queue`);
  const remaining = await page.locator('table.queue tbody tr a').allTextContents();
  assert.ok(!remaining.map((text) => text.trim()).includes(id), 'a resolved exception leaves the queue');
  await page.close();
});

test('a lead filters the queue, sorts it by a column and assigns the selected rows at once', async () => {
  const page = await logIn('lead');
  await page.click('details.filter-panel summary');
  await page.fill('form.filters input[name=location]', 's3');
  await page.fill('form.filters input[name=category]', 'GROCERY');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/location=s3/);
  const chips = (await page.locator('.chips a.chip').allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
  assert.deepEqual(chips, ['location: s3 ×', 'category: GROCERY ×'], 'the filters in force, whatever their case');
  const places = await page.locator('table.queue tbody td.place').allTextContents();
  assert.ok(places.length >= 3 && places.every((text) => text.startsWith('S3')), `only S3: ${places}`);
  assert.match(await page.textContent('#showing'), new RegExp(`^1–${places.length} of ${places.length} · sorted by due`));

  await page.click('table.queue th.num a');
  await page.waitForURL(/sort=impact/);
  assert.equal(await page.getAttribute('table.queue th.num', 'aria-sort'), 'descending');
  const impacts = (await page.locator('table.queue tbody td.num').allTextContents()).map(Number);
  assert.deepEqual(impacts, [...impacts].sort((a, b) => b - a), 'largest impact first');

  const boxes = page.locator('table.queue tbody input[name=id]');
  const chosen = [await boxes.nth(0).getAttribute('value'), await boxes.nth(1).getAttribute('value')];
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  assert.equal((await page.textContent('#selected-count')).trim(), '(2 selected)');
  await page.fill('fieldset.bulk input[name=assignee]', 'olga');
  await page.click('fieldset.bulk button[value=assign]');
  await page.waitForURL(/notice=/);
  assert.equal((await page.textContent('.notice')).trim(), '2 assigned to olga');
  assert.match(page.url(), /sort=impact.*location=s3/, 'back on the same rows, in the same order');
  for (const id of chosen) {
    const row = page.locator('table.queue tbody tr', { has: page.locator(`input[value="${id}"]`) });
    assert.equal((await row.locator('td.assignee').textContent()).trim(), 'olga', `#${id}`);
  }

  await page.check('#select-all');
  const all = await boxes.count();
  assert.equal(await page.locator('table.queue tbody input[name=id]:checked').count(), all);
  await page.click('fieldset.bulk button[value=acknowledge]');
  await page.waitForURL(/notice=/);
  assert.equal((await page.textContent('.notice')).trim(), `${all} acknowledged`);
  await boxes.nth(0).check();
  await page.click('fieldset.bulk button[value=acknowledge]');
  await page.waitForURL(/notice=/);
  assert.match(await page.textContent('.notice'), /^0 acknowledged; #\d+ refused: already acknowledged by lead at /);

  await fitsAndSaved(page, 'queue');
  await page.close();
});

test('an ops lead resolves an incident with one root cause', async () => {
  const page = await logIn('lead');
  await page.click('nav >> text=Incidents');
  await page.waitForURL(`${base}/incidents`);
  const row = page.locator('table.incidents tbody tr', { hasText: 'S4 · T4' });
  assert.match(await row.locator('td.root').textContent(), /transfer_overdue\s+S4 · T4/);
  assert.match(await row.locator('td.opened').textContent(), /^2026-11-02 \d\d:\d\d Europe\/Berlin$/, 'in S4\'s time');
  assert.equal((await row.locator('td.count').textContent()).trim(), '3 exceptions');
  assert.equal((await row.locator('td.status').textContent()).trim(), '3 open');
  await fitsAndSaved(page, 'incidents');

  await row.locator('td.id a').click();
  await page.waitForURL(/\/incidents\/\d+$/);
  const incident = page.url();
  assert.match(await page.textContent('#members'), /^3 exceptions, 3 open$/);
  const members = page.locator('table.members tbody tr');
  assert.equal(await members.count(), 3);
  await fitsAndSaved(page, 'incident');

  await page.selectOption('#resolve-all select[name=root_cause]', 'transfer_discipline');
  await page.selectOption('#resolve-all select[name=resolution]', 'corrected');
  await page.fill('#resolve-all input[name=note]', 'the truck came a day late; shelf recounted');
  await page.click('#resolve-all button[type=submit]');
  await page.waitForURL(/notice=/);
  assert.equal((await page.textContent('.notice')).trim(), '3 resolved');
  assert.match(await page.textContent('#members'), /^3 exceptions, all closed$/);
  const statuses = (await members.locator('td.status').allTextContents()).map((text) => text.trim());
  assert.deepEqual(statuses, ['resolved', 'resolved', 'resolved']);

  // Each exception keeps its own resolution, and its page shows the incident in a line.
  await members.nth(1).locator('td.id a').click();
  await page.waitForURL(/\/exceptions\/\d+$/);
  assert.equal((await page.textContent('#root-cause')).trim(), 'transfer_discipline');
  assert.match(await page.textContent('#incident'), /^Part of incident #\d+ \(root cause transfer_overdue at S4 · T4, 3 exceptions, 0 open\)\.$/);
  await page.click('#incident a');
  assert.equal(page.url(), incident);
  await page.goto(`${base}/incidents`);
  assert.equal(await page.locator('table.incidents tbody tr', { hasText: 'S4 · T4' }).count(), 0, 'no longer open');
  await page.close();
});

test('the dashboard shows its charts', async () => {
  const page = await logIn('lead');
  await page.click('nav >> text=Dashboard');
  await page.waitForURL(`${base}/dashboard`);
  for (const chart of ['categories', 'aging', 'sla', 'root-causes', 'stores']) {
    assert.equal(await page.locator(`#chart-${chart} svg`).count(), 1, `chart ${chart}`);
  }
  assert.ok((await page.locator('#chart-categories rect.bar').count()) >= 1, 'open exceptions drawn as bars');
  assert.ok((await page.locator('#chart-stores rect.bar').count()) >= 1, 'store rates drawn as bars');
  // Every statistical detector has its row of field confirmations, at phone width without sideways scrolling.
  const detectors = await page.locator('#confirmation tbody td:first-child').allTextContents();
  assert.deepEqual(detectors, ['low stock', 'phantom stock', 'customer complaint', 'store exception rate', 'shrink anomaly']);
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => {
    const table = document.querySelector('#confirmation');
    const beyondPage = table.getBoundingClientRect().right - document.documentElement.clientWidth;
    return Math.max(beyondPage, table.scrollWidth - table.clientWidth);
  });
  assert.ok(overflow <= 0, `the confirmation table fits a phone (${overflow} px too wide)`);
  // The period picker: all time, then that period's printable report and its CSV.
  await page.click('nav.quick >> text=All time');
  await page.waitForURL(`${base}/dashboard?period=all`);
  assert.match(await page.locator('#period').textContent(), /Exceptions opened at any time/);
  assert.ok((await page.locator('#by-type tbody tr').count()) >= 2, 'a total row and a row per type');
  await page.click('#period >> text=Report for this period');
  await page.waitForURL(/\/reports\?period=all$/);
  assert.equal(await page.locator('h1').textContent(), 'Exceptions report, all time');
  const csv = await page.request.get(base + (await page.locator('#report-csv').getAttribute('href')));
  assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
  assert.match(await csv.text(), /^from,to,type,category,opened,/);
  await page.close();
});

test('an admin imports a spreadsheet on a phone and reads what became of each row', async () => {
  const page = await logIn('ada');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('nav a:has-text("Import")');
  await page.selectOption('select[name=kind]', 'products');
  await page.check('input[name=decimal_comma]');
  const csv = 'sku;name;category;price\nK9;Kiwi;Fruit;0,45\nK8;Kale;;1,20\n';
  await page.setInputFiles('input[name=file]', { name: 'products.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('button:has-text("Import")');
  const report = page.locator('#import-report');
  assert.match(await report.textContent(), /products\.csv: 2 rows/);
  assert.match(await report.textContent(), /Imported 1, unchanged 0, already logged 0, rejected 1/);
  assert.match(await report.locator('tbody tr').first().textContent(), /3\s*category\s*missing/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the import report scrolls sideways on a phone by ${overflow} px`);
  await page.close();
});

test('an admin adds a person, disables them and checks a broken rules file', async () => {
  const page = await logIn('ada');
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.click('nav a:has-text("Admin")');
  await page.waitForURL(`${base}/admin`);
  const add = page.locator('#add-user');
  await add.locator('input[name=name]').fill('nora');
  await add.locator('select[name=role]').selectOption('team_member');
  await add.locator('input[name=locations]').fill('S1');
  await add.locator('input[name=password]').fill('a long enough phrase');
  await add.locator('button[type=submit]').click();
  assert.match(await page.locator('p.notice').textContent(), /nora added/);
  const nora = page.locator('li[data-account=nora]');
  assert.match(await nora.textContent(), /team_member\s+· locations S1/);
  await nora.locator('summary').click();
  await nora.locator('button:has-text("Disable nora")').click();
  assert.match(await page.locator('p.notice').textContent(), /nora is disabled and logged out/);
  assert.match(await page.locator('li[data-account=nora]').textContent(), /disabled \d{4}-/);
  assert.match(await page.locator('#change-list tbody tr').first().textContent(), /ada\s*user disabled\s*nora/);

  const broken = '[types.count_variance]\ntolerance_units = "many"\n';
  await page.setInputFiles('#check-rules input[name=file]', { name: 'next.toml', mimeType: 'text/plain', buffer: Buffer.from(broken) });
  await page.click('#check-rules button[type=submit]');
  const row = page.locator('#rules-errors tbody tr').first();
  assert.match(await row.textContent(), /^2\s*types\.count_variance\.tolerance_units/);
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the admin page scrolls sideways at ${width} px by ${overflow} px`);
  }
  await saveScreenshots(page, 'admin');
  assert.deepEqual(problems, [], 'no blocked script or style, no missing resource');
  await page.close();
});

test('every page fits a phone and runs under the content security policy', async () => {
  const page = await logIn('lead');
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.setViewportSize({ width: 390, height: 844 });
  const id = (await page.locator('table.queue tbody tr a').first().textContent()).trim();
  for (const path of ['/queue', `/exceptions/${id}`, '/incidents', '/dashboard', '/store', '/rules', '/deliveries']) {
    await page.goto(`${base}${path}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways on a phone by ${overflow} px`);
  }
  assert.deepEqual(problems, [], 'no blocked script or style, no missing resource');
  await page.close();
});

test('where the browser reads barcodes, the store page scans one with the camera', async () => {
  // Chromium on Linux has no BarcodeDetector; a stub stands in for the phone's, reading the kettle's EAN-13 from
  // whatever the (fake) camera shows. What is tested is the page's part: the button, the camera, the field.
  const context = await browser.newContext({ permissions: ['camera'], viewport: { width: 390, height: 844 } });
  await context.addInitScript(() => {
    window.BarcodeDetector = class {
      async detect() {
        return [{ rawValue: '4006381333931' }];
      }
    };
  });
  const page = await logIn('sam', context);
  await page.goto(`${base}/store`);
  const button = page.locator('#scan-camera');
  await button.click();
  await page.waitForFunction(() => document.querySelector('form.count input[name=sku]').value === '4006381333931');
  assert.equal(await page.locator('#scan-video').isHidden(), true, 'the camera closes once it has read a code');
  await context.close();
});

test('a store user cannot open another store\'s exception', async () => {
  const lead = await logIn('lead');
  const other = await lead.evaluate(async () => {
    const page = await (await fetch('/api/v1/exceptions?status=all&location=S2')).json();
    return page.items[0].id;
  });
  await lead.close();

  const page = await logIn('sam');
  const locations = await page.locator('table.queue tbody tr td.place').allTextContents();
  assert.ok(locations.length > 0 && locations.every((text) => text.startsWith('S1')), `only S1: ${locations}`);

  // A store associate's shift on a phone: the requested recount, a count by scanning the kettle's barcode (a
  // handheld scanner types it), a stock check, then the transfer received short with a damaged unit, which opens
  // an exception.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/store`);
  assert.match(await page.textContent('ul.recounts'), /K1/);
  await page.fill('input[name=sku]', '4006381333931');
  await page.fill('input[name=counted]', '20');
  await page.click('button:has-text("Submit count")');
  await page.waitForURL(/notice=/);
  assert.match(await page.textContent('.notice'), /Count of K1 \(Kettle\) recorded: 20/);
  assert.equal(await page.locator('ul.recounts').count(), 0, 'the count completed the requested recount');
  // A customer asks whether more are coming: the stock check, by the same barcode.
  await page.fill('input[name=check]', '4006381333931');
  await page.click('form[action="/store#stock-check"] button');
  await page.waitForURL(/check=4006381333931/);
  const answer = await page.textContent('#stock-answer');
  assert.match(answer, /K1 \(Kettle\)/);
  assert.match(answer, /on hand 20, reserved 0, available 20, in transit here 5/);
  assert.match(answer, /transfer T1 from S2 \(Two\): 5 shipped/);
  await page.fill('input[name="arrived.K1"]', '3');
  await page.fill('input[name="damaged.K1"]', '1');
  await page.click('button:has-text("Confirm received")');
  await page.waitForURL(/notice=/);
  assert.match(await page.textContent('.notice'), /Transfer T1 received: K1 2 short, 1 damaged/);
  assert.match(await page.locator('ul.list').first().textContent(), /transfer_mismatch/, 'the new exception is at the top');
  await saveScreenshots(page, 'store');
  const response = await page.goto(`${base}/exceptions/${other}`);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent('.error'), /outside the locations sam may see/);
  await page.close();
});
