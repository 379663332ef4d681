import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeSSH } from 'node-ssh';
import { Client } from 'pg';
import { SecretBox } from '@app/security';
import { servicesEnv } from '../../support/services';
import { Stack } from '../../support/stack';
import { labEnv, pgTls, resetLab, seedImage, sh, sshTo, tunnel } from '../support/lab';

/**
 * SAN volumes on real kernels: a storage server exporting LVM LUNs over iSCSI (LIO) to two database hosts,
 * all Debian VMs under QEMU (test/lab). The platform reaches them only over SSH on 127.0.0.1.
 */
describe('san-lvm: a PostgreSQL on a SAN LUN, end to end in the VM lab', { timeout: 30 * 60_000 }, () => {
  const lab = labEnv();
  const stack = new Stack({ name: 'lab-san', env: { LOCAL_HOST: 'false', READY_TIMEOUT_MS: '300000' } });
  const ssh: Record<string, NodeSSH> = {};
  let key = '';
  let dbId = '';
  let hostName: 'host1' | 'host2' = 'host1';
  let other: 'host1' | 'host2' = 'host2';
  let creds: {
    uri: string;
    username: string;
    password: string;
    database: string;
    host: string;
    port: number;
    tls?: { offered?: boolean; ca?: string; serverName?: string };
  };

  const withDb = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const t = await tunnel(ssh[hostName], creds.host, creds.port);
    const c = new Client({
      host: '127.0.0.1',
      port: t.port,
      user: creds.username,
      password: creds.password,
      database: creds.database,
      ssl: pgTls(creds),
    });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
      t.close();
    }
  };

  before(async () => {
    for (const vm of Object.values(lab.vms)) ssh[vm.name] = await sshTo(vm, lab.key);
    await resetLab(ssh);
    const image = `${servicesEnv().IMAGE_REGISTRY}/library/postgres:15`;
    await Promise.all([seedImage(lab.vms.host1, lab.key, image), seedImage(lab.vms.host2, lab.key, image)]);
    await stack.start();
    const op = { key: stack.operatorKey };
    const backend = await stack.request('POST', '/admin/v1/storage-backends', {
      ...op,
      body: {
        name: 'lab-san',
        portalAddress: lab.vms.storage.ip,
        sshAddress: '127.0.0.1',
        sshPort: lab.vms.storage.sshPort,
        sshPrivateKey: lab.key,
        volumeGroup: 'san',
        iqnPrefix: 'iqn.2026-11.io.dbaas.lab',
        lunSizeGb: 2,
      },
    });
    assert.equal(backend.status, 201, JSON.stringify(backend.body));
    for (const name of ['host1', 'host2'] as const) {
      const h = await stack.request('POST', '/admin/v1/hosts', {
        ...op,
        body: {
          name,
          address: lab.vms[name].ip,
          sshAddress: '127.0.0.1',
          sshPort: lab.vms[name].sshPort,
          sshPrivateKey: lab.key,
          labels: { rack: name === 'host1' ? 'r1' : 'r2' },
          capacity: { cpus: 2, memoryMb: 2048, diskGb: 3 },
          storageDriver: 'san-lvm',
          storageBackendId: backend.body.id,
          dataRoot: '/var/lib/dbaas/volumes',
        },
      });
      assert.equal(h.status, 201, JSON.stringify(h.body));
    }
    key = (await stack.tenant('lab')).key;
  });

  after(async () => {
    await stack.stop();
    for (const s of Object.values(ssh)) s.dispose();
  });

  test('create on plan san-small: the database runs on a LUN and takes writes', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'on-san', engine: 'postgresql', plan: 'san-small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    const op = await stack.waitOperation(key, res.body.operationId, 15 * 60_000);
    assert.equal(op.status, 'succeeded', op.error);
    const db = (await stack.request('GET', `/v1/databases/${dbId}`, { key })).body;
    assert.equal(db.volume.driver, 'san-lvm');
    hostName = db.endpoint.host === lab.vms.host1.ip ? 'host1' : 'host2';
    other = hostName === 'host1' ? 'host2' : 'host1';
    creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key })).body;
    await withDb(async (c) => {
      await c.query('CREATE TABLE t (id int primary key, v text)');
      await c.query(`INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g`);
    });
    // The data directory is the mounted logical volume, on the LUN's volume group.
    const [vol] = await stack.metadata(
      'SELECT v.path, v.device, l.host_vg, l.name, l.iqn FROM volumes v JOIN luns l ON l.id = v.lun_id WHERE v.database_id = $1',
      [dbId],
    );
    // The container gets a directory inside the mounted filesystem (absent whenever the volume is not mounted).
    assert.match(vol.path, /\/data$/);
    const mountPoint = vol.path.replace(/\/data$/, '');
    const mnt = await sh(ssh[hostName], 'findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '--mountpoint', mountPoint]);
    assert.equal(mnt.code, 0, mnt.stderr);
    assert.match(mnt.stdout, /ext4/);
    assert.match(mnt.stdout, new RegExp(vol.host_vg.replace(/-/g, '--')));
    assert.equal((await sh(ssh[hostName], 'test', ['-f', `${vol.path}/pgdata/PG_VERSION`])).code, 0);
  });

  test('the LUN exists on the storage server and only its host may log in', async () => {
    const [lun] = await stack.metadata(
      'SELECT l.id, l.name, l.iqn, l.chap_user, l.chap_password FROM luns l JOIN volumes v ON v.lun_id = l.id WHERE v.database_id = $1',
      [dbId],
    );
    const lvs = await sh(ssh.storage, 'lvs', ['--noheadings', '-o', 'lv_name', 'san']);
    assert.ok(
      lvs.stdout
        .split('\n')
        .map((s) => s.trim())
        .includes(lun.name),
      lvs.stdout,
    );
    const acl = await sh(ssh.storage, 'ls', [`/sys/kernel/config/target/iscsi/${lun.iqn}/tpgt_1/acls`]);
    const initiator = (await sh(ssh[hostName], 'cat', ['/etc/iscsi/initiatorname.iscsi'])).stdout.match(
      /InitiatorName=(\S+)/,
    )![1];
    assert.deepEqual(acl.stdout.trim().split(/\s+/), [initiator]);
    // The other host, even with the right CHAP secret, is refused by the ACL.
    const chap = new SecretBox(stack.env.MASTER_KEY).open(lun.chap_password);
    const portal = `${lab.vms.storage.ip}:3260`;
    const o = ssh[other];
    await sh(o, 'iscsiadm', ['-m', 'discovery', '-t', 'st', '-p', portal]);
    for (const [k, v] of [
      ['node.session.auth.authmethod', 'CHAP'],
      ['node.session.auth.username', lun.chap_user],
      ['node.session.auth.password', chap],
    ]) {
      await sh(o, 'iscsiadm', ['-m', 'node', '-T', lun.iqn, '-p', portal, '-o', 'update', '-n', k, '-v', v]);
    }
    const login = await sh(o, 'iscsiadm', ['-m', 'node', '-T', lun.iqn, '-p', portal, '--login']);
    assert.equal(login.code, 24, `expected an authorization failure, got ${login.code}: ${login.stderr}`);
    await sh(o, 'iscsiadm', ['-m', 'node', '-T', lun.iqn, '-p', portal, '-o', 'delete']);
  });

  test('resize to san-medium grows the volume online; the data stays', async () => {
    const [vol] = await stack.metadata(
      'SELECT v.path, l.id AS lun_id, l.size_gb, l.host_vg FROM volumes v JOIN luns l ON l.id = v.lun_id WHERE v.database_id = $1',
      [dbId],
    );
    const vgSize = async () =>
      Number(
        (
          await sh(ssh[hostName], 'vgs', ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_size', vol.host_vg])
        ).stdout.trim(),
      );
    const vgBefore = await vgSize();
    const size = async () =>
      Number(
        (await sh(ssh[hostName], 'df', ['-B1', '--output=size', vol.path.replace(/\/data$/, '')])).stdout
          .trim()
          .split('\n')
          .pop(),
      );
    const before = await size();
    const res = await stack.request('POST', `/v1/databases/${dbId}/resize`, { key, body: { plan: 'san-medium' } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 10 * 60_000);
    assert.equal(op.status, 'succeeded', op.error);
    const afterSize = await size();
    assert.ok(afterSize > before * 1.8, `${before} → ${afterSize}`);
    // The 2 GB LUN had no room for a 2 GB volume: it was grown on the storage server, and the host saw it.
    const [lun] = await stack.metadata('SELECT size_gb FROM luns WHERE id = $1', [vol.lun_id]);
    assert.ok(lun.size_gb > vol.size_gb, `LUN ${vol.size_gb} → ${lun.size_gb} GB`);
    assert.ok((await vgSize()) > vgBefore, 'the volume group grew with the LUN (pvresize)');
    assert.deepEqual(await withDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM t')).rows), [{ n: 100 }]);
  });

  test('delete removes the logical volume, the mount, the iSCSI session and the LUN', async () => {
    const [vol] = await stack.metadata(
      'SELECT v.path, l.name, l.iqn, l.host_vg FROM volumes v JOIN luns l ON l.id = v.lun_id WHERE v.database_id = $1',
      [dbId],
    );
    const res = await stack.request('DELETE', `/v1/databases/${dbId}`, { key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(key, res.body.operationId, 10 * 60_000);
    assert.equal(op.status, 'succeeded', op.error);
    const h = ssh[hostName];
    assert.notEqual((await sh(h, 'findmnt', ['--mountpoint', vol.path.replace(/\/data$/, '')])).code, 0, 'unmounted');
    assert.notEqual((await sh(h, 'vgs', [vol.host_vg])).code, 0, 'volume group gone');
    const sessions = await sh(h, 'iscsiadm', ['-m', 'session']);
    assert.ok(!sessions.stdout.includes(vol.iqn), `session logged out: ${sessions.stdout}`);
    const lvs = await sh(ssh.storage, 'lvs', ['--noheadings', '-o', 'lv_name', 'san']);
    assert.ok(!lvs.stdout.includes(vol.name), 'LUN removed from the storage server');
    assert.notEqual(
      (await sh(ssh.storage, 'test', ['-d', `/sys/kernel/config/target/iscsi/${vol.iqn}`])).code,
      0,
      'target removed',
    );
    const [lun] = await stack.metadata('SELECT status FROM luns WHERE iqn = $1', [vol.iqn]);
    assert.equal(lun.status, 'deleted');
  });
});
