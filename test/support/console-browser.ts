import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Stack } from './stack';

export const SHOTS = resolve(__dirname, '../../test-artifacts/console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A tenant's PostgreSQL database, recorded as running as if the worker had made it: the console tests that need no
 * worker (the change they make is a queued operation, or a row) start from it.
 */
export async function runningDatabase(
  stack: Stack,
  tenant: string,
  name: string,
): Promise<{ id: string; key: string }> {
  const { key } = await stack.tenant(tenant);
  const res = await stack.request('POST', '/v1/databases', {
    key,
    body: { name, engine: 'postgresql', plan: 'small' },
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const id = res.body.id as string;
  await stack.metadata(`UPDATE databases SET status = 'running' WHERE id = $1`, [id]);
  await stack.metadata(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE database_id = $1`, [id]);
  return { id, key };
}

/** Debian's Chromium on the console, signed in with the operator key, on the overview. */
export async function consoleSignedIn(stack: Stack): Promise<{ browser: Browser; page: Page }> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(`${stack.apiUrl}/console/`);
  await page.getByTestId('signin-key').fill(stack.operatorKey);
  await page.getByTestId('signin-key').press('Enter');
  await page.getByTestId('page-overview').waitFor();
  return { browser, page };
}
