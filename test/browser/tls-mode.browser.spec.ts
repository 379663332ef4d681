import 'reflect-metadata';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { consoleSignedIn, runningDatabase, SHOTS } from '../support/console-browser';
import { Stack, until } from '../support/stack';

/**
 * The console's TLS card on a database's page and the admin route behind it (PUT /admin/v1/databases/:id/tls), in
 * Chromium against the real API. No worker: the change is a queued restart carrying the new mode (what the engine
 * then serves is tls.e2e's part).
 */
describe('console: a database TLS mode, shown and changed by an operator', { timeout: 5 * 60_000 }, () => {
  const stack = new Stack({ name: 'console-tls', startWorker: false });
  const op = () => ({ key: stack.operatorKey });
  let browser: Browser;
  let page: Page;
  let dbId = '';
  let tenantKey = '';
  const tid = (id: string) => page.getByTestId(id);
  const restarts = () =>
    stack.metadata(`SELECT id, status, params FROM operations WHERE database_id = $1 AND type = 'restart-database'`, [
      dbId,
    ]);

  before(async () => {
    await stack.start();
    const db = await runningDatabase(stack, 'tls-tenant', 'payments');
    dbId = db.id;
    tenantKey = db.key;
    ({ browser, page } = await consoleSignedIn(stack));
  });

  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  test('the admin route refuses bad input, unknown databases and tenant keys, changing nothing', async () => {
    for (const body of [{ mode: 'disabled' }, {}, { mode: 'preferred', extra: 1 }]) {
      const r = await stack.request('PUT', `/admin/v1/databases/${dbId}/tls`, { ...op(), body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
    }
    const bad = await stack.request('PUT', `/admin/v1/databases/${dbId}/tls`, { ...op(), body: { mode: 'off' } });
    assert.match(String(bad.body.message), /mode must be one of: required, preferred/);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r404 = await stack.request('PUT', `/admin/v1/databases/${unknown}/tls`, {
      ...op(),
      body: { mode: 'required' },
    });
    assert.equal(r404.status, 404);
    const asTenant = await stack.request('PUT', `/admin/v1/databases/${dbId}/tls`, {
      key: tenantKey,
      body: { mode: 'preferred' },
    });
    assert.equal(asTenant.status, 403);
    assert.equal((await restarts()).length, 0);
  });

  test('the card shows the mode; a change is confirmed, queued as a restart with the mode, and audited', async () => {
    await page.goto(`${stack.apiUrl}/console/#/databases/${dbId}`);
    await tid('db-tls').waitFor();
    assert.match(await tid('tls-mode').innerText(), /required/);
    await tid('tls-change').click();
    await tid('tls-select').selectOption('preferred');
    await tid('tls-apply').click();
    // The confirmation says what happens: a restart, clear text accepted.
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /restart/i);
    assert.match(await dialog.innerText(), /clear text/i);
    await dialog.getByRole('button', { name: 'Change TLS mode' }).click();
    await until('a queued restart', async () => (await restarts()).length === 1);
    const [restart] = await restarts();
    assert.deepEqual(restart.params, { tls: 'preferred' });
    await until('the outcome shown', async () => /operation/.test(await tid('db-tls').innerText()));
    assert.match(await tid('db-tls').innerText(), new RegExp(restart.id));

    const audit = (await stack.request('GET', `/admin/v1/audit?target=${dbId}`, op())).body;
    const entry = audit.find((a: any) => a.action === 'PUT /admin/v1/databases/:id/tls');
    assert.ok(entry, JSON.stringify(audit));
    assert.match(entry.actor, /^operator:/);
    assert.equal(entry.statusCode, 202);
    assert.deepEqual(entry.detail, { mode: 'preferred' });
    await page.screenshot({ path: join(SHOTS, 'tls-mode.png'), fullPage: true });
  });

  test('while that restart is pending another change is refused (409), shown, and nothing is queued', async () => {
    const r = await stack.request('PUT', `/admin/v1/databases/${dbId}/tls`, { ...op(), body: { mode: 'required' } });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    // The database still says required (no worker ran the restart): asking for preferred again is refused.
    await tid('tls-change').click();
    await tid('tls-select').selectOption('required');
    assert.ok(await tid('tls-apply').isDisabled(), 'the current mode is not a change');
    await tid('tls-select').selectOption('preferred');
    await tid('tls-apply').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Change TLS mode' }).click();
    const alert = tid('db-tls').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /refused/);
    assert.equal((await restarts()).length, 1);
  });
});
