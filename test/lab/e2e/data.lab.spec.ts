import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { SshExecutor } from '@app/hosts/executors/ssh-executor';
import { listTree, syncTree, TreeLocation } from '@app/storage/sync';
import { pgTls, tunnel } from '../support/lab';
import { HaLab, HostName, waitFor } from '../support/ha';

interface Creds {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  tls?: { offered?: boolean; ca?: string; serverName?: string };
}

/**
 * Volumes moving between real hosts (Debian VMs under QEMU, test/lab): the file-level sync host to host over
 * SSH, a clone from an LVM snapshot of a SAN volume, a backup on the storage server and its restore, and a
 * running PostgreSQL moved to the other host with its downtime measured.
 */
describe('clone, sync, backup and move in the VM lab', { timeout: 60 * 60_000 }, () => {
  const h = new HaLab(
    HaLab.stack(
      'lab-data',
      { BACKUP_SCHEDULER_INTERVAL_MS: '3600000' },
      { BACKUP_TARGET: 'backend:lab-san:/srv/backups' },
    ),
  );
  const executors: SshExecutor[] = [];
  let source: { id: string; creds: Creds; host: HostName };
  let backupId = '';

  const exec = (name: HostName | 'storage') => {
    const vm = h.lab.vms[name];
    const e = new SshExecutor({
      host: '127.0.0.1',
      port: vm.sshPort,
      username: 'root',
      privateKey: h.lab.key,
      label: name,
    });
    executors.push(e);
    return e;
  };

  /** A query on a database's endpoint, through an SSH tunnel from its host (the lab's segment is private). */
  const onDb = async <T>(c: Creds, host: HostName, fn: (pg: Client) => Promise<T>): Promise<T> => {
    if (!h.ssh[host]?.isConnected()) await h.connect(host);
    const t = await tunnel(h.ssh[host]!, c.host, c.port);
    const pg = new Client({
      ...c,
      host: '127.0.0.1',
      port: t.port,
      user: c.username,
      connectionTimeoutMillis: 5000,
      ssl: pgTls(c),
    });
    try {
      await pg.connect();
      return await fn(pg);
    } finally {
      await pg.end().catch(() => undefined);
      t.close();
    }
  };
  const ids = async (c: Creds, host: HostName) =>
    onDb(c, host, async (pg) => (await pg.query('SELECT id FROM t ORDER BY id')).rows.map((r) => Number(r.id)));
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  const hostOf = async (id: string): Promise<HostName> => {
    const [db] = await h.stack.metadata('SELECT host_id FROM databases WHERE id = $1', [id]);
    assert.ok(db.host_id === h.hostIds.host1 || db.host_id === h.hostIds.host2, 'placed on a lab host');
    return db.host_id === h.hostIds.host1 ? 'host1' : 'host2';
  };
  const credsOf = async (id: string): Promise<Creds> =>
    (await h.stack.request('GET', `/v1/databases/${id}/credentials`, { key: h.key })).body;
  const accepted = async (res: { status: number; body: any }, timeoutMs = 20 * 60_000) => {
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await h.stack.waitOperation(h.key, res.body.operationId, timeoutMs);
    assert.equal(op.status, 'succeeded', op.error);
    return op;
  };

  before(async () => {
    // Thin LUNs: every volume gets a LUN of its own, and a clone of the same size is a snapshot of it.
    await h.setUp('lab-data', { thinPool: { name: 'thin-data', sizeGb: 10 } });
    await h.on('storage', 'mkdir', ['-p', '/srv/backups']);
    for (const n of ['host1', 'host2'] as const) await h.on(n, 'rm', ['-rf', '/var/lib/dbaas-sync']);
  });
  after(async () => {
    for (const e of executors) await e.close();
    await h.tearDown();
  });

  test('sync host to host: many files with hard links and symlinks; the second pass moves only what changed', async () => {
    // 2000 files in 20 directories, a hard-link group, symlinks, odd modes and owners: made on host1 by a fixed script.
    const make = [
      'set -e; r=/var/lib/dbaas-sync/src; mkdir -p $r',
      'for d in $(seq 1 20); do mkdir -p $r/d$d; for f in $(seq 1 100); do echo "file $d/$f" > $r/d$d/f$f; done; done',
      'head -c 5000000 /dev/urandom > $r/big.bin',
      'ln $r/d1/f1 $r/hard-a; ln $r/d1/f1 $r/hard-b',
      'ln -s d2/f2 $r/rel-link; ln -s /etc/hostname $r/abs-link; ln -s missing $r/dangling',
      'chmod 600 $r/d3/f3; chown 999:999 $r/d4/f4; chmod 700 $r; chown 999:999 $r',
    ].join('; ');
    assert.equal((await h.on('host1', 'sh', ['-c', make])).code, 0);
    const src: TreeLocation = { exec: exec('host1'), root: '/var/lib/dbaas-sync/src' };
    const dst: TreeLocation = { exec: exec('host2'), root: '/var/lib/dbaas-sync/dst' };
    const phases: string[] = [];
    const first = await syncTree(src, dst, { onProgress: (p) => void phases.push(p.phase) });
    console.log(
      `# first pass: ${first.transferredFiles} entries, ${first.transferredBytes} B in ${first.elapsedMs} ms`,
    );
    assert.ok(first.transferredFiles >= 2000, `${first.transferredFiles}`);
    assert.ok(phases.includes('done'));

    const change = [
      'set -e; r=/var/lib/dbaas-sync/src',
      'echo changed >> $r/d5/f5; echo changed >> $r/d6/f6; echo changed >> $r/d7/f7',
      'rm $r/d8/f8; echo new > $r/d9/new-file',
    ].join('; ');
    assert.equal((await h.on('host1', 'sh', ['-c', change])).code, 0);
    const second = await syncTree(src, dst);
    console.log(
      `# second pass: ${second.transferredFiles} entries, ${second.transferredBytes} B, ${second.deleted} deleted`,
    );
    // Exactly the 3 changed files and the new one (the directories whose listing changed get their mtime back).
    assert.equal(second.transferredFiles, 4, `second pass moved ${second.transferredFiles} entries`);
    assert.equal(second.deleted, 1);
    const third = await syncTree(src, dst);
    assert.equal(third.transferredFiles, 0);

    // Identical: every entry's type, size, mode, owner, mtime and link target, and every file's content.
    const norm = (t: Awaited<ReturnType<typeof listTree>>) =>
      t
        .map((e) => JSON.stringify({ ...e, inode: undefined, dev: undefined, nlink: undefined }))
        .sort()
        .join('\n');
    assert.equal(norm(await listTree(dst)), norm(await listTree(src)));
    const sums = async (n: HostName, root: string) =>
      (await h.on(n, 'sh', ['-c', `cd ${root} && find . -type f -print0 | sort -z | xargs -0 sha256sum`])).stdout;
    assert.equal(await sums('host2', '/var/lib/dbaas-sync/dst'), await sums('host1', '/var/lib/dbaas-sync/src'));
    const links = await h.on('host2', 'stat', [
      '-c',
      '%i',
      '/var/lib/dbaas-sync/dst/hard-a',
      '/var/lib/dbaas-sync/dst/d1/f1',
    ]);
    const [a, b] = links.stdout.trim().split('\n');
    assert.equal(a, b, 'hard links stay one inode');
  });

  test('clone on thin san-lvm: a snapshot of the source LUN on the storage server; no data moves; the copies are independent', async () => {
    const res = await h.stack.request('POST', '/v1/databases', {
      key: h.key,
      body: { name: 'orders', engine: 'postgresql', plan: 'small' },
    });
    await accepted(res);
    source = { id: res.body.id, creds: await credsOf(res.body.id), host: await hostOf(res.body.id) };
    await onDb(source.creds, source.host, async (pg) => {
      await pg.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
      await pg.query(`INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 1000) g`);
    });
    const t0 = Date.now();
    const clone = await h.stack.request('POST', `/v1/databases/${source.id}/clones`, {
      key: h.key,
      body: { name: 'orders-copy' },
    });
    await accepted(clone);
    const copy = { creds: await credsOf(clone.body.id), host: await hostOf(clone.body.id) };
    console.log(
      `# thin clone ${source.host} -> ${copy.host}: ${((Date.now() - t0) / 1000).toFixed(1)} s from request to a running clone`,
    );
    const [ev] = await h.stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
      [clone.body.id],
    );
    console.log(`# ${ev.message}`);
    assert.match(ev.message, /thin-lun-snapshot/);
    // On the storage server the clone's LUN is a thin snapshot whose origin is the source's LUN.
    const luns = await h.stack.metadata(
      `SELECT v.database_id, l.name FROM volumes v JOIN luns l ON l.id = v.lun_id
       WHERE v.database_id = ANY($1) AND v.deleted_at IS NULL`,
      [[source.id, clone.body.id]],
    );
    const lunOf = (id: string) => luns.find((r) => r.database_id === id)!.name as string;
    const lv = await h.on('storage', 'lvs', ['--noheadings', '-o', 'origin,pool_lv', `san/${lunOf(clone.body.id)}`]);
    assert.deepEqual(lv.stdout.trim().split(/\s+/), [lunOf(source.id), 'thin-data']);
    assert.deepEqual(await ids(copy.creds, copy.host), range(1, 1000));
    await onDb(copy.creds, copy.host, (pg) => pg.query(`INSERT INTO t VALUES (5001, 'clone only')`));
    await onDb(source.creds, source.host, (pg) => pg.query(`INSERT INTO t VALUES (6001, 'source only')`));
    assert.deepEqual(await ids(copy.creds, copy.host), [...range(1, 1000), 5001]);
    assert.deepEqual(await ids(source.creds, source.host), [...range(1, 1000), 6001]);
    // Each host sees each volume group once: the copied one got its own name and UUIDs.
    for (const n of ['host1', 'host2'] as const) {
      const pvs = await h.on(n, 'pvs', ['--noheadings', '-o', 'pv_name,vg_name,pv_uuid']);
      assert.doesNotMatch(pvs.stderr, /duplicate/i, pvs.stderr);
    }
    // The clone is a database like any other: deleting it releases its LUN, and the source's stays.
    const del = await h.stack.request(
      'DELETE',
      `/v1/databases/${clone.body.id}?purgeBackups=true&confirm=orders-copy`,
      { key: h.key },
    );
    await accepted(del);
    const left = await h.on('storage', 'lvs', ['--noheadings', '-o', 'lv_name', 'san']);
    assert.doesNotMatch(left.stdout, new RegExp(lunOf(clone.body.id)));
    assert.match(left.stdout, new RegExp(lunOf(source.id)));
    assert.deepEqual(await ids(source.creds, source.host), [...range(1, 1000), 6001]);
  });

  test("thin clone onto the backend's other host: the snapshot LUN is attached there and imported", async () => {
    const other = source.host === 'host1' ? 'host2' : 'host1';
    // Placement steered by the fixture: the source's host is made full, so the clone can only go to the other.
    const [{ capacity }] = await h.stack.metadata('SELECT capacity FROM hosts WHERE id = $1', [h.hostIds[source.host]]);
    await h.stack.metadata(`UPDATE hosts SET capacity = jsonb_set(capacity, '{diskGb}', '1') WHERE id = $1`, [
      h.hostIds[source.host],
    ]);
    try {
      const t0 = Date.now();
      const clone = await h.stack.request('POST', `/v1/databases/${source.id}/clones`, {
        key: h.key,
        body: { name: 'orders-there' },
      });
      await accepted(clone);
      const copy = { creds: await credsOf(clone.body.id), host: await hostOf(clone.body.id) };
      assert.equal(copy.host, other);
      const [ev] = await h.stack.metadata(
        `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
        [clone.body.id],
      );
      console.log(
        `# thin clone ${source.host} -> ${copy.host}: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${ev.message}`,
      );
      assert.match(ev.message, /thin-lun-snapshot/);
      assert.deepEqual(await ids(copy.creds, copy.host), [...range(1, 1000), 6001]);
      await onDb(copy.creds, copy.host, (pg) => pg.query(`INSERT INTO t VALUES (5002, 'remote clone only')`));
      assert.deepEqual(await ids(source.creds, source.host), [...range(1, 1000), 6001]);
      await accepted(
        await h.stack.request('DELETE', `/v1/databases/${clone.body.id}?purgeBackups=true&confirm=orders-there`, {
          key: h.key,
        }),
      );
    } finally {
      await h.stack.metadata('UPDATE hosts SET capacity = $2 WHERE id = $1', [h.hostIds[source.host], capacity]);
    }
  });

  test('clone into a bigger plan: an LVM snapshot on the host and a file copy; the source never stops', async () => {
    const clone = await h.stack.request('POST', `/v1/databases/${source.id}/clones`, {
      key: h.key,
      body: { name: 'orders-big', plan: 'san-medium' },
    });
    const op = await accepted(clone);
    const [ev] = await h.stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
      [clone.body.id],
    );
    console.log(`# ${ev.message}`);
    assert.match(ev.message, /lvm-snapshot/);
    assert.match(ev.message, /never stopped/);
    assert.match(ev.message, /another size/);
    assert.ok(op.transfer.filesTotal > 100);
    const copy = { creds: await credsOf(clone.body.id), host: await hostOf(clone.body.id) };
    assert.deepEqual(await ids(copy.creds, copy.host), [...range(1, 1000), 6001]);
    // No snapshot left behind on the host.
    const lvs = await h.on(source.host, 'lvs', ['--noheadings', '-o', 'lv_name']);
    assert.ok(!/\bs-[0-9a-f]+/.test(lvs.stdout), lvs.stdout);
    // Room for the tests that follow (the lab hosts are small).
    await accepted(
      await h.stack.request('DELETE', `/v1/databases/${clone.body.id}?purgeBackups=true&confirm=orders-big`, {
        key: h.key,
      }),
    );
  });

  test('backup to the storage server, then restore: the rows of the backup and not the later ones', async () => {
    const res = await h.stack.request('POST', `/v1/databases/${source.id}/backups`, { key: h.key });
    await accepted(res);
    backupId = res.body.id;
    const b = (await h.stack.request('GET', `/v1/backups/${backupId}`, { key: h.key })).body;
    console.log(`# backup: ${b.method}, ${b.files} files, ${b.sizeBytes} bytes`);
    assert.equal(b.method, 'lvm-snapshot');
    const [row] = await h.stack.metadata('SELECT path FROM backups WHERE id = $1', [backupId]);
    assert.equal((await h.on('storage', 'test', ['-s', row.path])).code, 0, 'the archive is on the storage server');
    await onDb(source.creds, source.host, (pg) => pg.query(`INSERT INTO t VALUES (7001, 'after the backup')`));
    const r = await h.stack.request('POST', `/v1/backups/${backupId}/restore`, {
      key: h.key,
      body: { name: 'orders-back' },
    });
    await accepted(r);
    const restored = { creds: await credsOf(r.body.id), host: await hostOf(r.body.id) };
    assert.deepEqual(await ids(restored.creds, restored.host), [...range(1, 1000), 6001]);
  });

  test('move: a running PostgreSQL to the other host; downtime measured; every row there', async () => {
    const target = source.host === 'host1' ? 'host2' : 'host1';
    const res = await h.stack.request('POST', `/admin/v1/databases/${source.id}/move`, {
      key: h.stack.operatorKey,
      body: { targetHostId: h.hostIds[target] },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    // The operator polls the admin route (the tenant route answers 403 to an operator key).
    const op = await waitFor(
      'the move operation',
      async () => {
        const r = await h.stack.request('GET', `/admin/v1/operations/${res.body.operationId}`, {
          key: h.stack.operatorKey,
        });
        return ['succeeded', 'failed'].includes(r.body.status) ? r.body : null;
      },
      20 * 60_000,
    );
    assert.equal(op.status, 'succeeded', op.error);
    const [row] = await h.stack.metadata('SELECT params FROM operations WHERE id = $1', [res.body.operationId]);
    console.log(`# move ${source.host} -> ${target}: the database was stopped for ${row.params.downtimeMs} ms`);
    assert.ok(row.params.downtimeMs > 0);
    assert.equal(await hostOf(source.id), target);
    const moved = await credsOf(source.id);
    assert.deepEqual(await ids(moved, target), [...range(1, 1000), 6001, 7001]);
    // Nothing left on the old host: no container, no volume.
    const ps = await h.on(source.host, 'docker', ['ps', '-aq', '--filter', `label=dbaas.database=${source.id}`]);
    assert.equal(ps.stdout.trim(), '');
    const vols = await h.stack.metadata(
      'SELECT host_id FROM volumes WHERE database_id = $1 AND deleted_at IS NULL AND NOT incoming',
      [source.id],
    );
    assert.deepEqual(
      vols.map((v) => v.host_id),
      [h.hostIds[target]],
    );
  });

  test("console inventory: the SAN volume group's free space as the storage server reports it; LUNs per host", async () => {
    const op = { key: h.stack.operatorKey };
    const inv = await h.stack.request('GET', '/admin/v1/storage', op);
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    const [backend] = inv.body.backends;
    assert.equal(backend.error, null);
    const vgs = await h.on('storage', 'vgs', [
      '--noheadings',
      '--units',
      'b',
      '--nosuffix',
      '-o',
      'vg_size,vg_free',
      'san',
    ]);
    const [size, free] = vgs.stdout.trim().split(/\s+/).map(Number);
    assert.equal(backend.vg.sizeBytes, size);
    assert.equal(backend.vg.freeBytes, free);
    const target = await hostOf(source.id);
    const detail = (await h.stack.request('GET', `/admin/v1/hosts/${h.hostIds[target]}`, op)).body;
    const lunOfSource = backend.luns.find((l: any) => l.databaseId === source.id);
    assert.ok(lunOfSource, 'the moved database has a LUN');
    assert.equal(lunOfSource.hostName, target);
    assert.ok(detail.attachedLuns.some((l: any) => l.id === lunOfSource.id));
    for (const host of inv.body.hosts) assert.equal(host.error, null, `${host.name}: ${host.error}`);
  });
});
