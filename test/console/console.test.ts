import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../dev/consoleBuild';
import { buildTestConsole, startKeyedHost, type KeyedHost, type TestConsole } from '../support/consolePage';
import { flowGraph } from '../../lib/flows/graph';
import { flowFileSchema } from '../../lib/flows/schema';
import { ROOT } from '../support/appHost';
import { HAVE_BROWSER, launchBrowser, NO_BROWSER, ON_CI, type Browser } from '../support/browser';
import { startPhone, type Phone } from '../support/phone';

/** Screenshots go to .artifacts/console/; `npm run console:screenshots` (CONSOLE_SCREENSHOTS=1) renews the docs' own. */
const SHOTS =
  process.env.CONSOLE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'console') : join(ROOT, '.artifacts', 'console');
const IVR = 'flows/examples/ivr.json';
mkdirSync(SHOTS, { recursive: true });

it.runIf(!HAVE_BROWSER && ON_CI)('has a browser on CI', () => {
  expect.fail(NO_BROWSER);
});
if (!HAVE_BROWSER && !ON_CI) console.warn(`test/console: skipped, ${NO_BROWSER}`);

describe.runIf(HAVE_BROWSER)('the console in a browser', () => {
  let browser: Browser;
  let phone: Phone;
  let page: Page;
  let built: TestConsole;
  const consoleUrl = () => `${phone.appUrl}/api/console`;

  beforeAll(async () => {
    built = await buildTestConsole();
    phone = await startPhone({ flows: IVR, settings: { AzureWebJobsScriptRoot: built.root } });
    // The page npm start builds: with the phone, pointed at this test's emulator.
    const local = await buildConsole(built.root, {
      phone: { url: phone.emulator.url, token: phone.emulator.phoneToken },
    });
    expect(local.gzipBytes).toBeLessThan(150 * 1024);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await phone?.close();
    built?.remove();
  });

  it('lists a call placed through the API, newest first', async () => {
    const placed = await fetch(`${phone.appUrl}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550100123', say: 'Hello from the console test' }),
    });
    expect(placed.status).toBe(201);
    const { sid } = (await placed.json()) as { sid: string };
    await page.goto(`${consoleUrl()}#/calls`);
    const row = page.locator(`tr[data-sid="${sid}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('+15550100123');
    expect(await page.locator('tbody tr').first().getAttribute('data-sid')).toBe(sid);
    await page.screenshot({ path: join(SHOTS, 'calls.png') });
  });

  it("opens a call on its timeline with the flow's turns and its path drawn", async () => {
    const call = await phone.call({ digits: ['2'], dialOutcome: 'completed' });
    expect(call.path).toContain('pressed 2');
    await page.goto(`${consoleUrl()}#/calls`);
    await page.locator(`tr[data-sid="${call.sid}"] a`).click();
    await page.locator('ol.events li.turn').first().waitFor();
    const turns = await page.locator('ol.events li.turn').allTextContents();
    expect(turns.join('\n')).toContain('step menu');
    expect(turns.join('\n')).toContain('pressed 2');
    expect(turns.join('\n')).toContain('step support');
    await page.locator('svg.flow').waitFor();
    const visited = await page
      .locator('g.node.visited')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-step')));
    expect(visited).toEqual(expect.arrayContaining(['welcome', 'menu', 'support']));
    expect(visited).not.toContain('sales');
    await page.screenshot({ path: join(SHOTS, 'call.png'), fullPage: true });
  });

  it('lists a text and opens it with its reply rule', async () => {
    const text = await phone.text('What time do you open?');
    await page.goto(`${consoleUrl()}#/messages`);
    const row = page.locator('tbody tr', { hasText: 'What time do you open?' });
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'messages.png') });
    await row.locator('a').click();
    await page.locator('ol.events li').first().waitFor();
    expect((await page.locator('ol.events').textContent()) ?? '').toContain(`rule ${text.rule}`);
  });

  it('draws every step and branch of the IVR example', async () => {
    await page.goto(`${consoleUrl()}#/flow`);
    await page.locator('svg.flow').waitFor();
    const expected = flowGraph(flowFileSchema.parse(JSON.parse(readFileSync(join(ROOT, IVR), 'utf8'))));
    const steps = await page
      .locator('g.node[data-step]')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-step')));
    expect(steps.sort()).toEqual(expected.nodes.flatMap((node) => (node.step ? [node.step] : [])).sort());
    const drawn = await page
      .locator('g.edge')
      .evaluateAll((edges) =>
        edges.flatMap((edge) =>
          [...edge.querySelectorAll('text')].map(
            (label) => `${edge.getAttribute('data-from')} → ${edge.getAttribute('data-to')}: ${label.textContent}`,
          ),
        ),
      );
    expect(drawn.sort()).toEqual(expected.edges.map((edge) => `${edge.from} → ${edge.to}: ${edge.label}`).sort());
    await page.screenshot({ path: join(SHOTS, 'flow.png'), fullPage: true });
  });

  it('places a call from the phone through the IVR to voicemail by pressing keys; the log has it with its path', async () => {
    const handset = await browser.context.newPage();
    await handset.goto(`${consoleUrl()}#/phone`);
    await handset.locator('#phone-to option').first().waitFor({ state: 'attached' });

    // Text the line: the text and the app's reply appear in the thread.
    const replies = handset.locator('ol.thread li.theirs');
    await handset.locator('ol.thread[data-loaded]').waitFor({ state: 'attached' });
    const before = await replies.count();
    await handset.fill('#phone-text', 'Are you open today?');
    await handset.keyboard.press('Enter');
    await expect.poll(() => replies.count(), { timeout: 20_000 }).toBeGreaterThan(before);
    expect(await handset.locator('ol.thread li.mine').last().textContent()).toContain('Are you open today?');

    // Call: 0 for a person, nobody answers, voicemail; # ends the message.
    await handset.selectOption('#phone-dial-outcome', 'no-answer');
    await handset.click('#phone-call');
    const status = handset.locator('p.call-status');
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toContain('Waiting for keys');
    await handset.click('button[data-key="0"]');
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toContain('Recording your message');
    const lit = () =>
      handset
        .locator('.phone-flow g.node.visited')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-step')));
    await expect
      .poll(lit, { timeout: 20_000 })
      .toEqual(expect.arrayContaining(['welcome', 'menu', 'operator', 'voicemail']));
    await handset.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    // From the keyboard: with the focus on the keypad, typing # presses it.
    await handset.focus('button[data-key="5"]');
    await handset.keyboard.press('#');
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toContain('Call ended: completed');
    const heard = (await handset.locator('ol.heard-lines').textContent()) ?? '';
    expect(heard).toContain('Please leave a message after the beep');
    expect(heard).toContain('ended with #');
    await expect.poll(lit, { timeout: 20_000 }).toContain('goodbye');
    expect(await lit()).not.toContain('sales');

    const sid = await handset.locator('.live-call [data-sid]').getAttribute('data-sid');
    await page.goto(`${consoleUrl()}#/calls`);
    await page.locator(`tr[data-sid="${sid}"] a`).click();
    await page.locator('svg.flow').waitFor();
    const visited = await page
      .locator('g.node.visited')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-step')));
    expect(visited).toEqual(expect.arrayContaining(['menu', 'operator', 'voicemail', 'goodbye']));
    expect(await page.locator('p.path').textContent()).toContain('voicemail');
    await handset.close();
  }, 90_000);

  it('can be used from the keyboard: Tab reaches the sections and Enter opens one', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${consoleUrl()}#/calls`);
    await page.locator('table.log').waitFor();
    const focused = () => page.evaluate<string>("document.activeElement?.textContent ?? ''");
    for (let presses = 0; presses < 6 && (await focused()) !== 'Flow'; presses++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Flow');
    await page.keyboard.press('Enter');
    await page.locator('svg.flow').waitFor();
    expect(page.url()).toContain('#/flow');
    // The new section has the focus, so the next Tab goes into it, not back through the menu.
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('main');
    await page.close();
  });
});

describe.runIf(HAVE_BROWSER)('the console with function keys checked, as in Azure', () => {
  const KEY = 'console-test-key';
  let host: KeyedHost;
  let browser: Browser;

  beforeAll(async () => {
    host = await startKeyedHost(KEY);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('has no phone: the page the package ships leaves its code out', () => {
    const html = readFileSync(host.console.file, 'utf8');
    expect(html).not.toContain('LiveCalls');
    expect(html).toContain("connect-src 'self';");
  });

  it('refuses the page and the data it reads without the key', async () => {
    const page = await browser.context.newPage();
    // Azure's refusal has no body, which Chromium shows as its own error page.
    await expect(page.goto(`${host.url}/api/console`)).rejects.toThrow(/ERR_HTTP_RESPONSE_CODE_FAILURE/);
    expect((await page.request.get(`${host.url}/api/console`)).status()).toBe(401);
    for (const path of ['calls', 'messages', 'flows/graph', 'calls/CA0123456789abcdef0123456789abcdef'])
      expect((await fetch(`${host.url}/api/${path}`)).status, path).toBe(401);
  });

  it('opens with ?code= and reads the API with the same key, which leaves the address bar', async () => {
    const page = await browser.context.newPage();
    const opened = await page.goto(`${host.url}/api/console?code=${KEY}#/flow`);
    expect(opened?.status()).toBe(200);
    await page.locator('svg.flow').waitFor();
    expect(page.url()).not.toContain(KEY);
    await page.goto(`${host.url}/api/console#/calls`);
    await page.locator('table.log').waitFor();
    expect(await page.locator('.error, .note').allTextContents()).not.toContain(
      'The app refused: open the console with its function key (?code=…)',
    );
  });
});
