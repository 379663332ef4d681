import 'reflect-metadata';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { consoleSignedIn, runningDatabase, SHOTS } from '../support/console-browser';
import { Stack, until } from '../support/stack';

/**
 * The console's IP allow-list card on a database's page, in Chromium against the real API. No worker: the list is
 * the database's from the moment the API accepts it (what the host gets is the e2e test's part, allow-list.e2e).
 */
describe('console: a database IP allow-list, shown and edited', { timeout: 5 * 60_000 }, () => {
  const stack = new Stack({ name: 'console-allow-list', startWorker: false });
  let browser: Browser;
  let page: Page;
  let dbId = '';
  const tid = (id: string) => page.getByTestId(id);
  const stored = async () =>
    (await stack.metadata(`SELECT allowed_cidrs FROM databases WHERE id = $1`, [dbId]))[0].allowed_cidrs as string[];

  before(async () => {
    await stack.start();
    const db = await runningDatabase(stack, 'shop-tenant', 'orders');
    dbId = db.id;
    ({ browser, page } = await consoleSignedIn(stack));
  });

  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  test('open by default; a bad entry is refused with its reason and nothing changes', async () => {
    await page.goto(`${stack.apiUrl}/console/#/databases/${dbId}`);
    await tid('allow-list-open').waitFor();
    await tid('allow-list-edit').click();
    await tid('allow-list-input').fill('203.0.113.0/24\n10.1.0.0/8');
    await tid('allow-list-save').click();
    const alert = tid('db-allow-list').getByRole('alert');
    await alert.waitFor();
    assert.match(
      await alert.innerText(),
      /allowedCidrs\[1\]: "10\.1\.0\.0\/8" has host bits set: the network is 10\.0\.0\.0\/8/,
    );
    assert.deepEqual(await stored(), []);
    assert.equal((await stack.metadata(`SELECT id FROM operations WHERE type = 'update-allowed-cidrs'`)).length, 0);
  });

  test('a good list is saved, shown, and its operation queued', async () => {
    await tid('allow-list-input').fill('203.0.113.0/24\n2001:db8::/32');
    await tid('allow-list-save').click();
    await tid('allow-list-entries').waitFor();
    await until('both entries shown', async () =>
      /203\.0\.113\.0\/24[\s\S]*2001:db8::\/32/.test(await tid('allow-list-entries').innerText()),
    );
    assert.deepEqual(await stored(), ['203.0.113.0/24', '2001:db8::/32']);
    assert.equal((await stack.metadata(`SELECT id FROM operations WHERE type = 'update-allowed-cidrs'`)).length, 1);
    assert.match(await tid('db-allow-list').innerText(), /reachable only from 2 network\(s\)/);
    await page.screenshot({ path: join(SHOTS, 'allow-list.png'), fullPage: true });
  });
});
