/// <reference lib="dom" />
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Stack, until as waitUntil } from '../support/stack';

const SHOTS = resolve(__dirname, '../../test-artifacts/console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The operator console in real headless Chromium (Debian's, driven by playwright-core), against the real API
 * and worker. A failover is produced for real: a registered host that does not answer (127.0.0.1:9) carries
 * an HA database; the failover worker declares it down, fences it and records the failover's timeline.
 */
describe('admin console in Chromium', { timeout: 10 * 60_000 }, () => {
  const stack = new Stack({
    name: 'console',
    env: { HA_VIP_RANGE: '10.250.0.10-10.250.0.20/24' },
    worker: { FAILOVER_PROBE_INTERVAL_MS: '300', FAILOVER_PROBE_TIMEOUT_MS: '500', FAILOVER_FAILURES: '3' },
    startWorker: false,
  });
  const op = () => ({ key: stack.operatorKey });
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  let deadHostId = '';
  let localHostId = '';
  let webshopKey = '';

  const shot = async (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const tid = (id: string) => page.getByTestId(id);
  const hostStatus = async (id: string) => (await stack.request('GET', `/admin/v1/hosts/${id}`, op())).body.status;
  const until = <T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000) =>
    waitUntil(what, fn, ms);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await stack.start();
    // Two hosts that never answer, in two racks: an HA database is placed on them (its provisioning is not
    // the point here, so it is recorded as running), then the failover worker finds its host dead.
    const register = async (name: string, rack: string) =>
      (
        await stack.registerUnreachableHost(name, {
          labels: { rack },
          capacity: { cpus: 4, memoryMb: 4096, diskGb: 50 },
          replicationAddress: rack === 'r1' ? '10.250.1.1' : '10.250.1.2',
          vipInterface: 'eth1',
          fencing: { driver: 'agent', agent: 'fence_test', params: { plug: name, password: 'n0t-sh0wn' } },
        })
      ).id as string;
    deadHostId = await register('rack1-db7', 'r1');
    const peer = await register('rack2-db3', 'r2');
    const ha = await stack.tenant('ha-tenant');
    const res = await stack.request('POST', '/v1/databases', {
      key: ha.key,
      body: { name: 'ledger', engine: 'postgresql', plan: 'small', ha: 'drbd' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await stack.metadata(`UPDATE databases SET status = 'running', host_id = $1 WHERE id = $2`, [
      deadHostId,
      res.body.id,
    ]);
    await stack.metadata(`UPDATE volumes SET host_id = $1, peer_host_id = $2 WHERE database_id = $3`, [
      deadHostId,
      peer,
      res.body.id,
    ]);
    await stack.metadata(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE database_id = $1`, [
      res.body.id,
    ]);
    // Only the dead host is watched; its peer counts as already fenced, so the takeover has nowhere to go.
    await stack.metadata(`UPDATE hosts SET status = 'fenced' WHERE id = $1`, [peer]);
    stack.startWorker();
    // A host never seen healthy is never fenced by the worker: it shows unreachable, with why. The operator
    // fences it (its fence agent confirms), which also fails its HA database over. Until then the silent host
    // is a valid placement: wait, so that the databases this test creates go to the local host.
    await until(
      'the silent host seen unreachable',
      async () =>
        (await stack.metadata(`SELECT health FROM hosts WHERE id = $1`, [deadHostId]))[0].health?.verdict ===
        'unreachable',
      60_000,
    );
    const fenced = await stack.request('POST', `/admin/v1/hosts/${deadHostId}/fence`, {
      ...op(),
      body: { confirm: 'rack1-db7' },
    });
    assert.equal(fenced.status, 202, JSON.stringify(fenced.body));
    await until('the silent host fenced', async () => (await hostStatus(deadHostId)) === 'fenced', 60_000);
    localHostId = (await stack.request('GET', '/admin/v1/hosts', op())).body.find((h: any) => h.name === 'local').id;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    // Every request the console makes must stay on the API's own origin (127.0.0.1).
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.apiUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  test('a wrong key sees nothing; a tenant key is not an operator key', async () => {
    await page.goto(`${stack.apiUrl}/console/`);
    await tid('signin-key').fill('op-not-a-key');
    await tid('signin-key').press('Enter');
    await tid('signin-error').waitFor();
    assert.match(await tid('signin-error').innerText(), /unknown key/i);
    assert.equal(await tid('nav-overview').count(), 0, 'no navigation before sign-in');
    const tenant = await stack.tenant('someone');
    await tid('signin-key').fill(tenant.key);
    await tid('signin-key').press('Enter');
    await until('the tenant-key error', async () => /not an operator key/i.test(await tid('signin-error').innerText()));
    assert.equal(await tid('nav-overview').count(), 0);
    await shot('01-signin-refused');
  });

  test('sign in; the overview shows the local host and its capacity', async () => {
    await tid('signin-key').fill(stack.operatorKey);
    await tid('signin-key').press('Enter');
    await tid('page-overview').waitFor();
    for (const g of ['cpu', 'memory', 'disk']) await tid(`capacity-local-${g}`).waitFor();
    const text = await tid('page-overview').innerText();
    assert.match(text, /local/);
    await shot('02-overview');
  });

  test('tenants: create one and issue an API key, shown once', async () => {
    await tid('nav-tenants').click();
    await tid('page-tenants').waitFor();
    const form = tid('tenant-create');
    await form.getByRole('textbox').fill('webshop');
    await form.getByRole('button').click();
    await until('the new tenant in the list', async () => /webshop/.test(await tid('page-tenants').innerText()));
    const [t] = (await stack.request('GET', '/admin/v1/tenants', op())).body.filter((x: any) => x.name === 'webshop');
    assert.ok(t, 'the tenant exists in the API');
    await page
      .getByRole('button', { name: /webshop/i })
      .first()
      .click();
    await page.getByLabel(/key name/i).fill('ci');
    await page.getByRole('button', { name: /issue/i }).click();
    await tid('issued-key').waitFor();
    const key = await tid('issued-key').inputValue();
    assert.match(key, /^dbk_/);
    // The key works: the tenant sees its (empty) database list.
    assert.equal((await stack.request('GET', '/v1/databases', { key })).status, 200);
    await shot('03-tenants-key-issued');
    webshopKey = key;
  });

  test('operations: a database being provisioned, with its progress, until it runs', async () => {
    const key = webshopKey;
    await tid('nav-operations').click();
    await tid('page-operations').waitFor();
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'orders', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const opId = res.body.operationId;
    const seen = new Set<string>();
    const progress: number[] = [];
    await until(
      'the operation to succeed on the page',
      async () => {
        // One read of the row and its bar: the bar goes away when the operation ends, between two calls.
        const snap = await page.evaluate((id) => {
          const row = document.querySelector(`[data-testid="op-row-${id}"]`) as HTMLElement | null;
          const bar = document.querySelector(`[data-testid="op-progress-${id}"]`);
          return row
            ? { text: row.innerText, value: bar?.getAttribute('aria-valuenow') ?? bar?.getAttribute('value') ?? null }
            : null;
        }, opId);
        if (!snap) return false;
        const text = snap.text;
        for (const st of ['queued', 'running', 'succeeded', 'failed']) if (text.includes(st)) seen.add(st);
        if (snap.value !== null && !Number.isNaN(Number(snap.value))) {
          progress.push(Number(snap.value));
          if (text.includes('running') && progress.length === 1) await shot('04-operation-running');
        }
        return text.includes('succeeded') || text.includes('failed');
      },
      180_000,
    );
    assert.ok(seen.has('succeeded'), `states seen: ${[...seen]}`);
    assert.ok(seen.has('running') || seen.has('queued'), `the page showed it before it ended: ${[...seen]}`);
    assert.ok(progress.length > 0, 'a progress bar was shown');
    assert.ok(
      progress.every((v, i) => i === 0 || v >= progress[i - 1]),
      `progress never goes back: ${progress}`,
    );
    await shot('05-operations');
  });

  test('databases: filter across tenants, then one in depth with its logs', async () => {
    await tid('nav-databases').click();
    await tid('page-databases').waitFor();
    await page.getByLabel(/engine/i).selectOption('postgresql');
    await until('orders in the filtered list', async () => /orders/.test(await tid('page-databases').innerText()));
    await page.getByRole('link', { name: 'orders' }).click();
    // The detail and its logs load separately: wait for both.
    await until('the detail with logs', async () => {
      const text = await tid('page-databases').innerText();
      return /ready to accept connections/.test(text) && /webshop/.test(text);
    });
    await shot('06-database-detail');
  });

  test('failovers: the dead host was detected and fenced; the timeline is drawn', async () => {
    await tid('nav-failovers').click();
    await tid('page-failovers').waitFor();
    const list = await until(
      'a failover recorded',
      async () => {
        const all = (await stack.request('GET', '/admin/v1/failovers', op())).body;
        return all.length > 0 && all[0].timeline.fencedAt ? all : null;
      },
      90_000,
    );
    const f = list[0];
    await tid(`failover-${f.id}`).waitFor({ timeout: 10_000 });
    await tid(`timeline-${f.id}`).waitFor();
    const text = await tid(`failover-${f.id}`).innerText();
    assert.match(text, /rack1-db7/);
    assert.match(text.toLowerCase(), /fenced/);
    await shot('07-failovers');
  });

  test('hosts: a host never reached shows ssh and docker unknown, not a green check; the local host ✓', async () => {
    await tid('nav-hosts').click();
    await tid('page-hosts').waitFor();
    // The dead host was probed (and failed) several times, but never answered: nothing is known of it.
    const dead = await tid('host-row-rack1-db7').innerText();
    assert.match(dead, /failure/, dead);
    assert.match(dead, /ssh unknown/, dead);
    assert.match(dead, /docker unknown/, dead);
    await until('the local host checked', async () => /docker ✓/.test(await tid('host-row-local').innerText()));
    assert.match(await tid('host-row-local').innerText(), /ssh ✓/);
    await shot('07b-host-health');
  });

  test('hosts: the fence agent and its parameters are shown, the secret ones as ***', async () => {
    await tid('nav-hosts').click();
    await tid('host-row-rack1-db7').getByRole('link', { name: 'rack1-db7' }).click();
    await tid('host-fencing').waitFor();
    const text = await tid('host-fencing').innerText();
    assert.match(text, /fence_test/, text);
    assert.match(text, /password=\*\*\*/, text);
    assert.match(text, /plug=rack1-db7/, text);
    assert.doesNotMatch(await tid('page-hosts').innerText(), /n0t-sh0wn/);
  });

  test('hosts: drain needs a confirmation that names the consequence; cancel changes nothing', async () => {
    await tid('nav-hosts').click();
    await tid('page-hosts').waitFor();
    await tid('host-row-local').getByRole('link').first().click();
    await tid('host-drain').click();
    await tid('confirm-dialog').waitFor();
    const warning = await tid('confirm-dialog').innerText();
    assert.match(warning, /local/);
    assert.match(warning.toLowerCase(), /no new database|moved|placed/);
    await shot('08-drain-confirmation');
    await tid('confirm-cancel').click();
    assert.equal(await hostStatus(localHostId), 'active', 'cancel changed nothing');
    await tid('host-drain').click();
    await tid('confirm-ok').click();
    await until('the host draining', async () => (await hostStatus(localHostId)) === 'draining', 15_000);
    await until('the page shows it', async () => /draining/.test(await tid('page-hosts').innerText()));
    await shot('09-host-draining');
    await tid('host-activate').click();
    await tid('confirm-ok').click();
    await until('the host active again', async () => (await hostStatus(localHostId)) === 'active', 15_000);
  });

  test('storage and audit pages: the drain is in the audit log with who did it', async () => {
    await tid('nav-storage').click();
    await tid('page-storage').waitFor();
    await until('the local data root', async () => /local/.test(await tid('page-storage').innerText()));
    await shot('10-storage');
    await tid('nav-audit').click();
    await tid('page-audit').waitFor();
    await until('the drain in the audit log', async () =>
      /\/admin\/v1\/hosts\/:id\/drain/.test(await tid('page-audit').innerText()),
    );
    assert.ok((await tid('audit-row').count()) >= 3);
    await shot('11-audit');
  });

  test('capacity: N+1 for every live host and the rebalancer view', async () => {
    await tid('nav-capacity').click();
    await tid('page-capacity').waitFor();
    await tid('loss-local').waitFor();
    const api = (await stack.request('GET', '/admin/v1/placement/n-plus-one', op())).body;
    const local = api.find((l: any) => l.name === 'local');
    assert.match(await tid('loss-local').innerText(), local.fits ? /yes/ : /no/);
    // The rebalancer view loads on its own after the N+1 table.
    await until(
      'the rebalancer view',
      async () => /No move needed|Apply/.test(await tid('page-capacity').innerText()),
      30_000,
    );
    await shot('10b-capacity');
  });

  test('keyboard only: sign in, reach a host, cancel a drain with Escape, drain and activate it', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${stack.apiUrl}/console/`);
    await tid('signin-key').waitFor();
    // What has the focus: its test id, or the test id of the row it sits in.
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        const own = el?.getAttribute('data-testid');
        if (own) return own;
        const row = el?.closest('[data-testid]');
        return row ? `${el!.tagName.toLowerCase()} in ${row.getAttribute('data-testid')}` : '';
      });
    const tabTo = async (target: string, max = 80) => {
      for (let i = 0; i < max; i++) {
        if ((await focused()) === target) return;
        await page.keyboard.press('Tab');
      }
      assert.fail(`could not reach ${target} with Tab (focus on "${await focused()}")`);
    };
    await tabTo('signin-key');
    await page.keyboard.type(stack.operatorKey);
    await page.keyboard.press('Enter');
    await tid('page-overview').waitFor();
    await tabTo('nav-hosts');
    await page.keyboard.press('Enter');
    await tid('host-row-local').waitFor();
    await tabTo('a in host-row-local');
    await page.keyboard.press('Enter');
    await tabTo('host-drain');
    await page.keyboard.press('Enter');
    await tid('confirm-dialog').waitFor();
    // The dialog holds the focus while open.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => !!document.activeElement?.closest('dialog')), 'focus stays in the dialog');
    }
    await page.keyboard.press('Escape');
    await until('the dialog closed', async () => !(await tid('confirm-dialog').isVisible()));
    assert.equal(await hostStatus(localHostId), 'active', 'Escape changed nothing');
    await tabTo('host-drain');
    await page.keyboard.press('Enter');
    await tid('confirm-dialog').waitFor();
    await tabTo('confirm-ok', 10);
    await page.keyboard.press('Enter');
    await until('the host draining', async () => (await hostStatus(localHostId)) === 'draining', 15_000);
    await tabTo('host-activate');
    await page.keyboard.press('Enter');
    await tid('confirm-dialog').waitFor();
    await tabTo('confirm-ok', 10);
    await page.keyboard.press('Enter');
    await until('the host active again', async () => (await hostStatus(localHostId)) === 'active', 15_000);
  });

  test('narrow screens: no horizontal scrolling of the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const p of ['overview', 'hosts', 'operations', 'failovers']) {
      await page.goto(`${stack.apiUrl}/console/#/${p}`);
      await tid(`page-${p}`).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${p}: the page is ${overflow}px wider than the screen`);
      await shot(`12-mobile-${p}`);
    }
  });

  test('nothing was fetched from anywhere but the API, and the page logged no errors', () => {
    assert.deepEqual(foreign, []);
    // 401/403 of the refused sign-ins are expected in the browser's console; nothing else.
    assert.deepEqual(
      consoleErrors.filter((e) => !/401|403/.test(e)),
      [],
    );
  });
});
