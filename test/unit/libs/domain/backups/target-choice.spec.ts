import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseBackupTarget,
  DatabasePlace,
  parseBackupTarget,
  parseBackupTargets,
  sharedDomain,
} from '@app/domain/backups/target-choice';
import { purgeRefusal } from '@app/domain/backups/purge-confirmation';
import { CommonEnv } from '@app/config/env';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

const onLocal: DatabasePlace = { host: { name: 'local', connection: 'local', labels: {} }, backendName: null };
const onDb1: DatabasePlace = { host: { name: 'db1', connection: 'ssh', labels: { rack: 'r1' } }, backendName: null };
const onSan: DatabasePlace = { host: { name: 'db2', connection: 'ssh', labels: {} }, backendName: 'san1' };

describe('backup targets: parsing', () => {
  test('local, backend and host targets; a list keeps its order', () => {
    assert.deepEqual(parseBackupTarget('local:/var/lib/dbaas/backups/'), {
      kind: 'local',
      root: '/var/lib/dbaas/backups',
      description: 'local:/var/lib/dbaas/backups/',
    });
    assert.deepEqual(parseBackupTarget('host:vault-1:/srv/backups'), {
      kind: 'host',
      name: 'vault-1',
      root: '/srv/backups',
      description: 'host:vault-1:/srv/backups',
    });
    assert.deepEqual(
      parseBackupTargets('host:vault-1:/srv/b, backend:san1:/export,local:/b').map((t) => t.kind),
      ['host', 'backend', 'local'],
    );
  });

  test('bad targets are refused before anything runs', () => {
    for (const bad of [
      '',
      'local:relative',
      'local:/a/../etc',
      'host:Bad_Name:/x',
      'nfs:/x',
      'host:a:/x;rm',
      'local:/',
    ])
      assert.throws(() => parseBackupTarget(bad), /invalid backup target/, bad);
  });

  test('BACKUP_TARGET validation accepts lists and names every form in its message', () => {
    const check = (v: string) => validateSync(plainToInstance(CommonEnv, { BACKUP_TARGET: v }));
    const errs = (v: string) => check(v).filter((e) => e.property === 'BACKUP_TARGET');
    assert.equal(errs('local:/b,host:vault:/srv/b,backend:san1:/x').length, 0);
    const bad = errs('host:vault');
    assert.equal(bad.length, 1);
    assert.match(JSON.stringify(bad[0].constraints), /host:<host>/);
  });
});

describe('backup targets: failure domains', () => {
  const local = parseBackupTarget('local:/b');
  const vault = parseBackupTarget('host:vault:/b');
  const db1 = parseBackupTarget('host:db1:/b');
  const san = parseBackupTarget('backend:san1:/b');

  test('what shares a database’s failure domain', () => {
    assert.match(sharedDomain(local, onLocal)!, /control plane/);
    assert.equal(sharedDomain(local, onDb1), null);
    assert.match(sharedDomain(db1, onDb1)!, /own host/);
    assert.match(sharedDomain(vault, onDb1, { labels: { rack: 'r1' } })!, /rack r1/);
    assert.equal(sharedDomain(vault, onDb1, { labels: { rack: 'r2' } }), null);
    assert.match(sharedDomain(san, onSan)!, /holds the database's volume/);
    assert.equal(sharedDomain(san, onDb1), null);
  });

  test('the first target outside the domain wins; unregistered ones are skipped', () => {
    const all = { usable: true, labels: {} };
    assert.equal(chooseBackupTarget([local, vault], onLocal, () => all).target, vault);
    assert.equal(chooseBackupTarget([local, vault], onDb1, () => all).target, local);
    assert.equal(chooseBackupTarget([db1, vault], onDb1, () => all).target, vault);
    const noVault = (t: { description: string }) => ({ usable: t.description !== vault.description, labels: {} });
    assert.equal(chooseBackupTarget([vault, san], onLocal, noVault).target, san);
  });

  test('when every target shares it, the first usable one, with the reason', () => {
    const r = chooseBackupTarget([local], onLocal, () => ({ usable: true }));
    assert.equal(r.target, local);
    assert.match(r.shared!, /control plane/);
    const none = chooseBackupTarget([vault], onLocal, () => ({ usable: false }));
    assert.equal(none.target, vault, 'nothing registered: the first, whose use will say why it fails');
  });
});

describe('early purge of backups', () => {
  test('needs the database’s exact name', () => {
    assert.match(purgeRefusal('ledger', undefined)!, /confirm=<the database's name> \("ledger"\)/);
    assert.match(purgeRefusal('ledger', '')!, /needs confirm/);
    assert.match(purgeRefusal('ledger', 'Ledger')!, /confirm must be/);
    assert.match(purgeRefusal('ledger', 'ledger ')!, /confirm must be/);
    assert.equal(purgeRefusal('ledger', 'ledger'), null);
  });
});
