// End-to-end test of the approvers' dashboard in headless Chromium (Debian's chromium package driven by
// playwright-core). Started by io.mppbroker.it.DashboardE2EIT, which runs the packaged broker, parks two
// payments and passes everything through the environment:
//   BROKER_URL, CHROMIUM, SCREENSHOT_DIR, APPROVER_ID, APPROVER_PASSWORD,
//   APPROVAL_ID, AMOUNT           - the payment approved in the page, which must then show up as paid live
//   RACE_APPROVAL_ID, RACE_TOKEN  - answered through the HTTP API while the page is not live; the page's
//                                   answer must then be refused with who decided
// Prints one line per step; exits non-zero on the first failure, after a screenshot of the moment.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = name => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};
const BROKER = env('BROKER_URL');
const SHOTS = env('SCREENSHOT_DIR');
const APPROVAL = env('APPROVAL_ID');
const RACE_APPROVAL = env('RACE_APPROVAL_ID');

// Exactly the flags the project runs Chromium with; Playwright names the fresh profile directory itself
// (--user-data-dir) because it launches a persistent context on it.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'dashboard-e2e-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('CHROMIUM'), headless: true, args: FLAGS, viewport: { width: 1360, height: 960 }, timeout: 60_000,
});
let page = context.pages()[0] ?? await context.newPage();
const scriptErrors = [];
const watch = p => p.on('pageerror', e => scriptErrors.push(String(e)));
watch(page);

const shot = async (name, p = page) => {
  const file = join(SHOTS, name + '.png');
  await p.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
};
const step = async (name, fn) => {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
    await shot('failure').catch(() => {});
    throw e;
  }
};
const expectEqual = (actual, expected, what) => {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
};

let exitCode = 0;
try {
  await step('an anonymous visit goes to the login page', async () => {
    await page.goto(BROKER + '/dashboard/');
    await page.waitForURL('**/dashboard/login.html');
    await page.getByLabel('Approver id').waitFor();
    await shot('01-login');
  });

  await step('a wrong password is refused', async () => {
    await page.getByLabel('Approver id').fill(env('APPROVER_ID'));
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/dashboard/login.html?failed');
    await page.locator('#failed').waitFor({ state: 'visible' });
    await shot('02-login-refused');
  });

  const card = page.locator(`.card[data-approval-id="${APPROVAL}"]`);
  const row = page.locator(`#requests tr[data-approval-id="${APPROVAL}"]`);
  await step('the approver logs in and sees the card with the amount and a risk flag', async () => {
    await page.getByLabel('Approver id').fill(env('APPROVER_ID'));
    await page.getByLabel('Password').fill(env('APPROVER_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url => url.pathname === '/dashboard/');
    await card.waitFor({ state: 'visible' });
    expectEqual((await card.locator('.amount .value').textContent()).trim(), env('AMOUNT'), 'amount on the card');
    const flags = await card.locator('.flag').allTextContents();
    if (!flags.some(f => f.includes('first payment to'))) throw new Error('no "first payment to" risk flag: ' + flags);
    await page.locator('#live.state-live').waitFor(); // the event stream is open
    expectEqual((await row.locator('.approval-status').textContent()).trim(), 'pending', 'status in the live list');
    await shot('03-pending');
  });

  await step('Approve updates the live list to approved and paid without a reload', async () => {
    await page.evaluate(() => { window.__notReloaded = true; });
    await card.locator('.note').fill('approved in the e2e test');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await card.locator('.result.ok').waitFor();
    // Only the event stream re-renders the list: the POST's answer does not touch it.
    await row.locator('.payment-status.st-paid').waitFor({ timeout: 30_000 });
    expectEqual((await row.locator('.approval-status').textContent()).trim(), 'approved', 'approval status in the list');
    const decidedBy = (await row.locator('td').nth(8).textContent()).trim();
    expectEqual(decidedBy, `${env('APPROVER_ID')} via dashboard`, 'decided by');
    expectEqual(await page.evaluate(() => window.__notReloaded === true), true, 'page was not reloaded');
    await shot('04-approved-and-paid');
  });

  await step('the live sessions show the agent\'s latest steps, the paid one included', async () => {
    const paid = page.locator('.session .step.d-ALLOW .event', { hasText: /^paid/ });
    await paid.first().waitFor({ timeout: 15_000 });
    const text = (await paid.first().locator('xpath=following-sibling::span[1]').textContent()).trim();
    if (!text.includes('paid ' + env('AMOUNT'))) throw new Error('paid step: ' + text);
    await page.locator('.session .step .event', { hasText: /^decision ASK/ }).first().waitFor();
    await shot('05-live-sessions');
  });

  await step('an answer that lost the race to another channel shows who decided', async () => {
    // A second tab whose live stream is cut, so its card is stale when someone else answers.
    const stale = await context.newPage();
    watch(stale);
    await stale.route('**/dashboard/api/events', route => route.abort());
    await stale.goto(BROKER + '/dashboard/');
    const raced = stale.locator(`.card[data-approval-id="${RACE_APPROVAL}"]`);
    await raced.waitFor({ state: 'visible' });
    await stale.locator('#live.state-reconnecting').waitFor(); // the page says it is not live
    const answer = await fetch(`${BROKER}/v1/approvals/${RACE_APPROVAL}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + env('RACE_TOKEN'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ decision: 'deny', note: 'denied through the API first' }),
    });
    expectEqual(answer.status, 200, 'API answer');
    await raced.getByRole('button', { name: 'Approve', exact: true }).click();
    const result = raced.locator('.result.warn');
    await result.waitFor();
    const text = (await result.textContent()).trim();
    if (!text.startsWith('Already denied by ') || !text.includes(' via api')) throw new Error('conflict message: ' + text);
    await shot('06-already-decided', stale);
    // The first tab, still live, drops that card by itself.
    await page.locator(`.card[data-approval-id="${RACE_APPROVAL}"]`).waitFor({ state: 'detached', timeout: 15_000 });
    await page.locator(`#requests tr[data-approval-id="${RACE_APPROVAL}"] .approval-status.st-denied`).waitFor();
    await shot('07-live-after-race');
  });

  await step('no uncaught script errors in the pages', async () => {
    if (scriptErrors.length) throw new Error('script errors: ' + scriptErrors.join(' | '));
  });
} catch (e) {
  exitCode = 1;
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
