/**
 * The operator console in a real browser (headless Chromium from the system, driven by
 * playwright-core), against the local system started as `npm start` and the console started as
 * `keyless console --no-open`: customers onboarded through the setup API and simulated accounts, one
 * healthy, one whose role fails, one migrating off access keys and one still on them.
 * Accessibility is checked in the same browser: axe-core on each page (no contrast failure, nothing
 * serious or critical), every control reached with Tab and drawn with a focus ring, a keyboard-only
 * walk through search, connections and a confirmation cancelled with Escape, and no sideways
 * scrolling at 1280×800 and 390×844.
 * Skipped, saying so, only where Chromium is not installed; CI installs it (.ci/run).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedAccounts } from '#local/emulator/simulated-stack.ts';
import { createDocumentClient } from '#shared/clients/dynamodb.ts';
import { registerLegacyConnection } from '#shared/legacy/register-legacy-connection.ts';
import { createConnectionStore } from '#shared/store/connection-store.ts';
import { type RunningLocalSystem, startLocalSystemProcess } from '../../support/local-system.ts';

const chromiumPath = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
  encoding: 'utf8',
}).stdout.trim();
const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Set to a directory (docs/console) to write a screenshot of each page there. */
const screenshots = process.env.KEYLESS_CONSOLE_SCREENSHOTS;

const HEALTHY = { customerId: 'acme-console', accountId: '111122223333' };
const FAILING = { customerId: 'globex-console', accountId: '444455556666' };
const MIGRATING = { customerId: 'initech-console', accountId: '777788889999' };
const ON_KEYS = { customerId: 'umbrella-console', accountId: '999900001111' };
const credentials = { accessKeyId: 'AKIAPROVIDERCONSOLE0', secretAccessKey: 'console' };

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** `keyless console --no-open --port 0` as a child process; resolves with the URL it prints. */
function startConsoleProcess(endpoint: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [tsxCli, 'local/cli/keyless.ts', 'console', '--no-open', '--port', '0'],
    {
      cwd: root,
      env: { ...process.env, KEYLESS_ENDPOINT: endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The console did not start:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Keyless console: (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The console exited (code ${code}):\n${output}`));
    });
  });
}

describe.skipIf(!chromiumPath)(
  `the operator console in Chromium${chromiumPath ? '' : ' (skipped: Chromium is not installed; apt-get install chromium)'}`,
  { timeout: 60_000 },
  () => {
    let system: RunningLocalSystem;
    let stateDir: string;
    let consoleProcess: ChildProcess | undefined;
    let consoleUrl: string;
    let browser: Browser;
    let page: Page;
    /** What the page logged as an error or threw: a CSP violation or a script error shows up here. */
    const pageErrors: string[] = [];

    const api = async <T>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${system.endpoint}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return (await response.json()) as T;
    };
    const statusOf = async ({ customerId, accountId }: typeof HEALTHY) =>
      (
        await api<{ connections: { accountId: string; status: string; authMethod: string }[] }>(
          'GET',
          `/customers/${customerId}/connections`,
        )
      ).connections.find((connection) => connection.accountId === accountId);
    const open = async (hash: string) => {
      // A fresh load each time, so the wait below sees this page's own loading state.
      await page.goto('about:blank');
      await page.goto(`${consoleUrl}#${hash}`);
      await page.waitForFunction(() => !document.getElementById('status')?.textContent?.includes('…'));
    };
    const shoot = async (name: string) => {
      if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
    };

    beforeAll(async () => {
      system = await startLocalSystemProcess();
      stateDir = mkdtempSync(join(tmpdir(), 'keyless-console-'));
      const accounts = createSimulatedAccounts({ endpoint: system.endpoint, stateDir });
      const onboard = async (customer: typeof HEALTHY, tamper?: 'no-external-id') => {
        const offer = await api<{ launchUrl: string }>('POST', '/setups', {
          customerId: customer.customerId,
        });
        return accounts.deploy({
          launchUrl: offer.launchUrl,
          accountId: customer.accountId,
          ...(tamper ? { tamper } : {}),
        });
      };
      // Two customers from before Keyless, on access keys for 120 and 200 days.
      const endpoint = { endpoint: system.endpoint, region: system.info.region, credentials };
      const legacy = {
        store: createConnectionStore({
          client: createDocumentClient(new DynamoDBClient(endpoint)),
          tableName: system.info.table,
        }),
        secretsManager: new SecretsManagerClient(endpoint),
      };
      for (const [customer, days] of [
        [MIGRATING, 120],
        [ON_KEYS, 200],
      ] as const) {
        await registerLegacyConnection(
          {
            ...customer,
            keys: { accessKeyId: 'AKIALEGACYCONSOLE000', secretAccessKey: 'legacy-secret-not-a-real-key' },
            createdAt: new Date(Date.now() - days * 86_400_000).toISOString(),
          },
          legacy,
        );
      }
      expect((await onboard(HEALTHY)).status, system.output()).toBe('CREATE_COMPLETE');
      expect((await onboard(FAILING, 'no-external-id')).status, system.output()).toBe('CREATE_FAILED');
      // The legacy customer runs the normal setup: the connection moves onto the role once proven.
      expect((await onboard(MIGRATING)).status, system.output()).toBe('CREATE_COMPLETE');
      const migrated = await eventually(
        () => statusOf(MIGRATING),
        (connection) => connection?.authMethod === 'ROLE' && connection.status === 'ACTIVE',
      );
      expect(migrated, system.output()).toMatchObject({ authMethod: 'ROLE', status: 'ACTIVE' });
      expect((await statusOf(HEALTHY))?.status).toBe('ACTIVE');

      ({ url: consoleUrl, child: consoleProcess } = await startConsoleProcess(system.endpoint));
      if (screenshots) mkdirSync(screenshots, { recursive: true });
      browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
    });

    afterAll(async () => {
      await browser?.close();
      consoleProcess?.kill('SIGTERM');
      await system?.stop();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    it('finds a customer by id and shows its summary', async () => {
      await open('customers');
      await page.getByLabel('Customer id').fill(HEALTHY.customerId);
      await page.getByRole('button', { name: 'Show' }).click();
      await expect
        .poll(() => page.locator('#status').textContent())
        .toBe(`Customer ${HEALTHY.customerId} loaded.`);
      const facts = await page.locator('dl.facts').textContent();
      expect(facts).toMatch(/Connections\s*1/);
      expect(facts).toMatch(/Open setups\s*\d+/);
      expect(facts).toMatch(/Last change\s*.*account 111122223333 REGISTERED → ACTIVE/);
      const active = page.getByRole('row').filter({ hasText: 'ACTIVE' });
      expect(await active.textContent()).toMatch(/ACTIVE\s*1/);
      await shoot('customers');
    });

    it('shows each connection in a row: status, auth method, source, template, permissions, validated', async () => {
      await open(`connections/${HEALTHY.customerId}`);
      const row = page.locator(`tr[data-account="${HEALTHY.accountId}"]`);
      const cells = await row.locator('th, td').allInnerTexts();
      expect(cells.slice(0, 4)).toEqual([HEALTHY.accountId, 'ACTIVE', 'role', 'cloudformation']);
      expect(cells[4]).toMatch(/^v\d+/);
      expect(cells[5]).toMatch(/All granted|Missing|not checked/);
      expect(cells[6]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
      await shoot('connections');
    });

    it("shows the failed customer's reason in its row", async () => {
      await open(`connections/${FAILING.customerId}`);
      const row = page.locator(`tr[data-account="${FAILING.accountId}"]`);
      expect(await row.locator('.badge').textContent()).toBe('FAILED');
      expect(await row.locator('.reason').textContent()).toMatch(/can be assumed without the External ID/);
    });

    it('shows the history as a timeline, newest first', async () => {
      await open(`history/${HEALTHY.customerId}`);
      const entries = await page.locator('.timeline li').allInnerTexts();
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries[0]).toMatch(/Account 111122223333: REGISTERED → ACTIVE/);
      expect(entries.at(-1)).toMatch(/→ REGISTERED/);
      await shoot('history');
    });

    it('charts the migration: one migrated today, the one still on keys listed as the oldest', async () => {
      await open('migration');
      // uPlot drew the chart: a canvas with something on it, and its legend naming both series.
      const canvas = page.locator('.chart .uplot canvas');
      await canvas.waitFor();
      const painted = await canvas.evaluate((element) => {
        const canvas = element as HTMLCanvasElement;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) count++;
        return count;
      });
      expect(painted).toBeGreaterThan(1000);
      expect(await page.locator('.chart .u-legend').textContent()).toMatch(
        /Migrated that day[\s\S]*Still on access keys at the end of the day/,
      );
      await shoot('migration');
      // The same numbers as a table, for the keyboard and screen readers, behind a disclosure.
      await page.getByText('The numbers per day').click();
      const days = page.getByRole('table', { name: 'Connections on access keys and migrated, per day' });
      const today = days.locator('tbody tr').last();
      expect(await today.getAttribute('data-migrated')).toBe('1');
      expect(await today.getAttribute('data-remaining')).toBe('1');
      expect(await days.locator('tbody tr:not([data-migrated="0"])').count()).toBe(1);
      expect(await days.locator('tbody tr').count()).toBe(30);
      expect(await page.locator('#chart-summary').textContent()).toMatch(
        /, 1 on \d{4}-\d{2}-\d{2}; 1 migrated/,
      );
      expect(await page.locator('#remaining-now').textContent()).toBe('1');
      expect(await page.locator('#migrated-total').textContent()).toBe('1');
      const oldest = await page.getByRole('table', { name: 'On access keys the longest' }).textContent();
      expect(oldest).toContain(ON_KEYS.customerId);
      expect(oldest).not.toContain(MIGRATING.customerId);
    });

    const PAGES = [
      ['the empty search', 'customers'],
      ['a customer', `customers/${HEALTHY.customerId}`],
      ['the connections', `connections/${HEALTHY.customerId}`],
      ['a failed connection', `connections/${FAILING.customerId}`],
      ['the history', `history/${HEALTHY.customerId}`],
      ['the migration', 'migration'],
      ['an error', 'customers/nobody-console'],
    ] as const;

    /** axe-core's findings on the page as it is now: contrast failures and anything serious or critical. */
    const accessibilityProblems = async () => {
      // Evaluated through the browser's debugging protocol, which the page's policy does not govern.
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe;
        type AxeResults = {
          violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
        };
        return (await axe.run(document)).violations;
      });
      return violations
        .filter(
          (violation) =>
            violation.id === 'color-contrast' ||
            violation.impact === 'serious' ||
            violation.impact === 'critical',
        )
        .map(
          (violation) =>
            `${violation.id} (${violation.impact}): ${violation.help}: ${violation.nodes
              .map((node) => JSON.stringify(node.target))
              .join(', ')}`,
        );
    };

    it.each(PAGES)(
      'meets WCAG AA contrast and has no serious accessibility problem: %s',
      async (_what, hash) => {
        await open(hash);
        if (hash === 'migration') await page.locator('.chart .uplot canvas').waitFor();
        expect(await accessibilityProblems()).toEqual([]);
      },
    );

    it('the accessibility check itself finds a contrast failure when there is one', async () => {
      await open('customers');
      await page.evaluate(() => {
        const faint = document.createElement('p');
        faint.textContent = 'Faint grey text';
        faint.style.color = '#b0b0b0';
        document.getElementById('view')?.append(faint);
      });
      expect((await accessibilityProblems()).join('\n')).toMatch(/^color-contrast \(serious\)/);
    });

    it('meets WCAG AA contrast and has no serious accessibility problem: a confirmation', async () => {
      await open(`connections/${HEALTHY.customerId}`);
      await page
        .locator(`tr[data-account="${HEALTHY.accountId}"]`)
        .getByRole('button', { name: 'Revoke' })
        .click();
      await page.getByRole('dialog').waitFor();
      expect(await accessibilityProblems()).toEqual([]);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
    });

    /** Presses `key` until the focus is on an element matching `selector` (and `text`, if given). */
    const tabTo = async (selector: string, text?: string, key = 'Tab') => {
      for (let presses = 0; presses < 80; presses++) {
        await page.keyboard.press(key);
        const there = await page.evaluate(
          ([selector, text]) => {
            const element = document.activeElement;
            return (
              !!element?.matches(selector) && (text === undefined || element.textContent?.trim() === text)
            );
          },
          [selector, text] as const,
        );
        if (there) return;
      }
      throw new Error(`${selector} ${text ?? ''} cannot be reached with ${key}`);
    };
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        return element ? `${element.tagName.toLowerCase()} ${element.textContent?.trim() ?? ''}` : '';
      });

    it.each(PAGES.filter(([, hash]) => hash !== 'customers/nobody-console'))(
      'reaches every control with Tab, each with a visible focus ring: %s',
      async (_what, hash) => {
        await open(hash);
        // Every control a mouse could use, numbered.
        const controls = await page.evaluate(() => {
          const all = document.querySelectorAll<HTMLElement>(
            'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])',
          );
          let count = 0;
          for (const element of all) {
            if (element.closest('dialog:not([open]), [hidden]') || (element as HTMLButtonElement).disabled)
              continue;
            element.dataset.control = String(count++);
          }
          return count;
        });
        expect(controls).toBeGreaterThan(3);
        const reached = new Set<string>();
        const unringed: string[] = [];
        for (let presses = 0; presses < 400; presses++) {
          await page.keyboard.press('Tab');
          const stop = await page.evaluate(() => {
            const element = document.activeElement as HTMLElement | null;
            if (!element || element === document.body) return undefined;
            const style = getComputedStyle(element);
            return {
              control: element.dataset.control,
              name: `${element.tagName.toLowerCase()} ${element.textContent?.trim().slice(0, 40) ?? ''}`,
              ring: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
            };
          });
          if (!stop) continue;
          const key = stop.control ?? stop.name;
          if (reached.has(key)) break;
          reached.add(key);
          if (!stop.ring) unringed.push(stop.name);
        }
        const missed = Array.from({ length: controls }, (_, i) => String(i)).filter((i) => !reached.has(i));
        expect(missed).toEqual([]);
        expect(unringed).toEqual([]);
      },
    );

    it('works with the keyboard alone: search a customer, open a revoke confirmation, cancel it with Escape', async () => {
      await open('customers');
      // The skip link comes first, and takes the focus to the content without changing the page.
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('a Skip to content');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      expect(await page.evaluate(() => location.hash)).toBe('#customers');
      // Search.
      await tabTo('#customer-id');
      await page.keyboard.type(HEALTHY.customerId);
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('#status').textContent())
        .toBe(`Customer ${HEALTHY.customerId} loaded.`);
      // To its connections.
      await tabTo('#view a', 'Connections');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('#status').textContent())
        .toBe(`1 connection(s) of customer ${HEALTHY.customerId}.`);
      // Revoke, with Space: the confirmation opens on Cancel and keeps the focus inside it.
      const revoke = `tr[data-account="${HEALTHY.accountId}"] button.danger`;
      await tabTo(revoke, 'Revoke');
      await page.keyboard.press('Space');
      const dialog = page.locator('#confirm');
      await expect.poll(() => dialog.evaluate((element) => (element as HTMLDialogElement).open)).toBe(true);
      expect(await dialog.textContent()).toContain(
        `Revoke account ${HEALTHY.accountId} of customer ${HEALTHY.customerId}?`,
      );
      expect(await focused()).toBe('button Cancel');
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('button Revoke');
      await page.keyboard.press('Shift+Tab');
      expect(await focused()).toBe('button Cancel');
      // Escape cancels: nothing changes, and the focus is back on the button that opened it.
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.evaluate((element) => (element as HTMLDialogElement).open)).toBe(false);
      expect(await page.evaluate((selector) => document.activeElement?.matches(selector), revoke)).toBe(true);
      expect(await page.locator(`${revoke}`).count()).toBe(1);
      expect((await statusOf(HEALTHY))?.status).toBe('ACTIVE');
      // Shift-Tab goes back the way it came.
      await tabTo('#customer-id', undefined, 'Shift+Tab');
      expect(await page.inputValue('#customer-id')).toBe(HEALTHY.customerId);
    });

    it('starts a setup behind a confirmation naming the customer, and shows its launch link', async () => {
      await open(`customers/${HEALTHY.customerId}`);
      await page.getByRole('button', { name: 'Start a setup' }).click();
      await expect
        .poll(() => page.locator('#confirm-text').textContent())
        .toContain(`customer ${HEALTHY.customerId}`);
      await page.getByRole('button', { name: 'Start the setup' }).click();
      const link = page.getByRole('link', { name: /^Launch stack/ });
      await link.waitFor();
      expect(await link.getAttribute('href')).toMatch(
        /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudformation\//,
      );
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    });

    it('rotates an External ID behind a confirmation naming customer and account, and shows the update link', async () => {
      await open(`connections/${MIGRATING.customerId}`);
      await page
        .locator(`tr[data-account="${MIGRATING.accountId}"]`)
        .getByRole('button', { name: 'Rotate' })
        .click();
      expect(await page.locator('#confirm-text').textContent()).toContain(
        `account ${MIGRATING.accountId} of customer ${MIGRATING.customerId}?`,
      );
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
      const link = page.getByRole('link', { name: 'Update the stack' });
      await link.waitFor();
      expect(await link.getAttribute('href')).toMatch(
        /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudformation\//,
      );
      expect(await page.locator('#status').textContent()).toBe(
        `Rotation started for account ${MIGRATING.accountId} of customer ${MIGRATING.customerId}.`,
      );
    });

    it('revokes only once the confirmation naming customer and account is accepted', async () => {
      await open(`connections/${HEALTHY.customerId}`);
      const row = page.locator(`tr[data-account="${HEALTHY.accountId}"]`);
      // Cancelled: nothing changes.
      await row.getByRole('button', { name: 'Revoke' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain(
        `Revoke account ${HEALTHY.accountId} of customer ${HEALTHY.customerId}?`,
      );
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect((await statusOf(HEALTHY))?.status).toBe('ACTIVE');
      // Confirmed: the row turns REVOKED.
      await row.getByRole('button', { name: 'Revoke' }).click();
      await dialog.getByRole('button', { name: 'Revoke' }).click();
      await expect
        .poll(() => page.locator('#status').textContent())
        .toBe(`Account ${HEALTHY.accountId} of customer ${HEALTHY.customerId} is REVOKED.`);
      expect(await page.locator(`tr[data-account="${HEALTHY.accountId}"] .badge`).textContent()).toBe(
        'REVOKED',
      );
      expect((await statusOf(HEALTHY))?.status).toBe('REVOKED');
      await shoot('revoked');
    });

    it("shows the API's message when a call fails", async () => {
      await open('customers/nobody-console');
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe(
          'Loading customer nobody-console failed: 404: No customer "nobody-console" is known: nothing is stored for it (no setup, connection or audit entry).',
        );
    });

    it('puts data into the page as text, never as markup', async () => {
      await open('customers/<img src=x onerror=alert(1)>');
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/must be 1–128 letters/);
      expect(await page.locator('#view img').count()).toBe(0);
      expect(await page.locator('#view-title').textContent()).toBe('Customer <img src=x onerror=alert(1)>');
    });

    it.each([
      [1280, 800],
      [390, 844],
    ] as const)('fits %i×%i without sideways scrolling of the page', async (width, height) => {
      await page.setViewportSize({ width, height });
      try {
        const phone = width < 600;
        for (const [what, hash] of PAGES) {
          await open(hash);
          if (hash === 'migration') await page.locator('.chart .uplot canvas').waitFor();
          const scrolled = await page.evaluate(() => document.documentElement.scrollWidth);
          expect(scrolled, what).toBeLessThanOrEqual(width);
          // What is too wide for a phone (the connections table) scrolls in its own box.
          const charts = page.locator('.chart .uplot');
          const chart = (await charts.count()) > 0 ? await charts.boundingBox() : null;
          if (chart) expect(chart.x + chart.width, 'the chart').toBeLessThanOrEqual(width);
          if (phone && hash.startsWith('connections/') && hash.endsWith(FAILING.customerId))
            await shoot('phone-connections');
          if (phone && hash === 'migration') await shoot('phone-migration');
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    it('ran without a script error or a refused resource', () => {
      // The API errors the tests provoke are answers, not console errors, except the one 404 and 400.
      expect(pageErrors.filter((text) => !/status of 40[04]/.test(text))).toEqual([]);
    });
  },
);
