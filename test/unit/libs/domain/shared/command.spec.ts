import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandValidationException } from '@app/domain/shared';
import { ErrorKind } from '@app/domain/errors';
import { CreateDatabaseCommand } from '@app/domain/databases/use-cases/create-database/create-database.command';
import { ResizeDatabaseCommand } from '@app/domain/databases/use-cases/resize-database/resize-database.command';
import { RegisterHostCommand } from '@app/domain/hosts/use-cases/register-host/register-host.command';
import { CreateTenantCommand } from '@app/domain/tenants/use-cases/create-tenant/create-tenant.command';

const TENANT_ID = '11111111-2222-4333-8444-555555555555';
const DB_ID = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const NAME_ERR = /name must be 3-40 characters/;

/** Runs fn, expects a CommandValidationException and returns its details. */
function details(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CommandValidationException, `expected CommandValidationException, got ${String(err)}`);
    assert.equal(err.kind, ErrorKind.Invalid);
    assert.equal(err.code, 'invalid-command');
    assert.ok(Array.isArray(err.details) && err.details.length > 0);
    assert.equal(err.message, err.details.join('; '));
    return err.details;
  }
  assert.fail('expected the command to be rejected');
}

const BAD_NAMES = [
  '; rm -rf /',
  '$(id)',
  "a'b",
  '"x"',
  'Abc',
  'ab',
  'a'.repeat(41),
  '1abc',
  'ab_c',
  'ab c',
  '-abc',
  '',
];
const GOOD_NAMES = ['abc', 'orders-db', 'a1-b2', 'a'.repeat(40)];

describe('CreateTenantCommand', () => {
  test('accepts valid names, including 40 characters', () => {
    for (const name of GOOD_NAMES) {
      const cmd = CreateTenantCommand.create({ name });
      assert.ok(cmd instanceof CreateTenantCommand);
      assert.equal(cmd.name, name);
    }
  });

  test('rejects unsafe or malformed names', () => {
    for (const name of BAD_NAMES) {
      const d = details(() => CreateTenantCommand.create({ name }));
      assert.ok(
        d.some((m) => NAME_ERR.test(m)),
        `${JSON.stringify(name)}: ${d.join(' | ')}`,
      );
    }
  });

  test('rejects a missing name, a non-string name and unknown fields', () => {
    assert.ok(details(() => CreateTenantCommand.create({})).some((m) => /name/.test(m)));
    assert.ok(details(() => CreateTenantCommand.create({ name: 42 })).some((m) => /name must be a string/.test(m)));
    const d = details(() => CreateTenantCommand.create({ name: 'acme', admin: true }));
    assert.deepEqual(d, ['property admin should not exist']);
  });
});

describe('CreateDatabaseCommand', () => {
  const good = { tenantId: TENANT_ID, name: 'orders', engine: 'postgresql', plan: 'small' };

  test('accepts a minimal valid command and keeps its fields', () => {
    const cmd = CreateDatabaseCommand.create(good);
    assert.ok(cmd instanceof CreateDatabaseCommand);
    assert.deepEqual(
      { tenantId: cmd.tenantId, name: cmd.name, engine: cmd.engine, plan: cmd.plan, version: cmd.version, ha: cmd.ha },
      { ...good, version: undefined, ha: undefined },
    );
  });

  test('accepts every engine, versions like 15 and 10.11, ha modes, a 40-char name', () => {
    for (const engine of ['postgresql', 'mysql', 'mariadb', 'redis', 'mongodb']) {
      assert.equal(CreateDatabaseCommand.create({ ...good, engine }).engine, engine);
    }
    assert.equal(CreateDatabaseCommand.create({ ...good, version: '10.11', ha: 'none' }).version, '10.11');
    assert.equal(CreateDatabaseCommand.create({ ...good, name: 'd'.repeat(40) }).name, 'd'.repeat(40));
  });

  test('rejects unsafe or malformed names', () => {
    for (const name of BAD_NAMES) {
      const d = details(() => CreateDatabaseCommand.create({ ...good, name }));
      assert.ok(
        d.some((m) => NAME_ERR.test(m)),
        `${JSON.stringify(name)}: ${d.join(' | ')}`,
      );
    }
  });

  test('rejects an unknown engine with the list of engines', () => {
    const d = details(() => CreateDatabaseCommand.create({ ...good, engine: 'oracle' }));
    assert.deepEqual(d, ['engine must be one of: postgresql, mysql, mariadb, redis, mongodb']);
  });

  test('rejects an unknown extra field', () => {
    assert.deepEqual(
      details(() => CreateDatabaseCommand.create({ ...good, hostId: DB_ID })),
      ['property hostId should not exist'],
    );
  });

  test('rejects a bad tenant id, version, plan and ha, listing each', () => {
    const d = details(() =>
      CreateDatabaseCommand.create({
        ...good,
        tenantId: 'not-a-uuid',
        version: '15; drop',
        plan: 'Small Plan',
        ha: 'raid',
      }),
    );
    assert.ok(
      d.some((m) => /tenantId must be a UUID/.test(m)),
      d.join(' | '),
    );
    assert.ok(d.includes('version must look like 15 or 10.11'));
    assert.ok(d.includes('plan must be a plan name from GET /v1/plans'));
    assert.ok(d.includes('ha must be one of: none, drbd, san'));
    assert.equal(d.length, 4);
  });

  test('rejects missing required fields', () => {
    const d = details(() => CreateDatabaseCommand.create({}));
    for (const field of ['tenantId', 'engine', 'plan'])
      assert.ok(
        d.some((m) => m.includes(field)),
        field,
      );
    assert.ok(d.some((m) => NAME_ERR.test(m)));
  });
});

describe('ResizeDatabaseCommand', () => {
  const good = { tenantId: TENANT_ID, databaseId: DB_ID, plan: 'large' };

  test('accepts a valid command', () => {
    assert.deepEqual({ ...ResizeDatabaseCommand.create(good) }, good);
  });

  test('rejects a bad database id, a bad plan and extra fields', () => {
    assert.ok(
      details(() => ResizeDatabaseCommand.create({ ...good, databaseId: '$(id)' })).some((m) =>
        /databaseId must be a UUID/.test(m),
      ),
    );
    assert.deepEqual(
      details(() => ResizeDatabaseCommand.create({ ...good, plan: 'large; rm -rf /' })),
      ['plan must be a plan name from GET /v1/plans'],
    );
    assert.deepEqual(
      details(() => ResizeDatabaseCommand.create({ ...good, cpus: 64 })),
      ['property cpus should not exist'],
    );
  });
});

describe('RegisterHostCommand', () => {
  const good = {
    name: 'node-01',
    address: '10.0.0.21',
    connection: 'ssh',
    sshPort: 2222,
    sshUser: 'deploy',
    labels: { rack: 'r1', hypervisor: 'hv-3' },
    capacity: { cpus: 8, memoryMb: 32768, diskGb: 500 },
    storageDriver: 'directory',
    dataRoot: '/srv/dbaas/volumes',
  };

  test('accepts a full valid registration', () => {
    const cmd = RegisterHostCommand.create(good);
    assert.ok(cmd instanceof RegisterHostCommand);
    assert.equal(cmd.name, 'node-01');
    assert.deepEqual(cmd.labels, { rack: 'r1', hypervisor: 'hv-3' });
    assert.equal(cmd.capacity.memoryMb, 32768);
    assert.equal(cmd.dataRoot, '/srv/dbaas/volumes');
  });

  test('accepts a minimal registration and a 40-char name', () => {
    const cmd = RegisterHostCommand.create({
      name: 'h'.repeat(40),
      address: 'db1.example.com',
      capacity: { cpus: 0.5, memoryMb: 256, diskGb: 1 },
    });
    assert.equal(cmd.name.length, 40);
    assert.equal(cmd.labels, undefined);
  });

  test('rejects unsafe or malformed names', () => {
    for (const name of BAD_NAMES) {
      const d = details(() => RegisterHostCommand.create({ ...good, name }));
      assert.ok(
        d.some((m) => NAME_ERR.test(m)),
        `${JSON.stringify(name)}: ${d.join(' | ')}`,
      );
    }
  });

  test('rejects labels whose keys or values could reach a shell', () => {
    const LABEL_ERR = /labels must be an object/;
    for (const labels of [
      { rack: 'r1; reboot' },
      { 'rack;x': 'r1' },
      { rack: '$(id)' },
      { rack: '' },
      { rack: 5 },
      { rack: 'r'.repeat(64) },
      ['r1'],
      'rack=r1',
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
    ]) {
      const d = details(() => RegisterHostCommand.create({ ...good, labels }));
      assert.ok(
        d.some((m) => LABEL_ERR.test(m)),
        `${JSON.stringify(labels)}: ${d.join(' | ')}`,
      );
    }
  });

  test('rejects a bad dataRoot', () => {
    for (const dataRoot of ['relative/path', '/var/lib/my volumes', '/var/lib/x;reboot', '/var/lib/$(id)', '/', '']) {
      const d = details(() => RegisterHostCommand.create({ ...good, dataRoot }));
      assert.ok(
        d.some((m) => m.startsWith('dataRoot must be an absolute path of [A-Za-z0-9._/-]')),
        `${JSON.stringify(dataRoot)}: ${d.join(' | ')}`,
      );
    }
  });

  // Known gap (libs/domain/src/hosts/use-cases/register-host/register-host.command.ts, dataRoot): `..` segments pass the
  // pattern, so the host registers fine and every later volume operation fails in directoryPath().
  test('rejects a dataRoot with a ".." segment', () => {
    details(() => RegisterHostCommand.create({ ...good, dataRoot: '/var/lib/../../etc' }));
  });

  test('rejects bad address, connection, ssh settings, key and storage driver', () => {
    const d = details(() =>
      RegisterHostCommand.create({
        ...good,
        address: '10.0.0.1; reboot',
        connection: 'telnet',
        sshPort: 70000,
        sshUser: 'Root User',
        sshPrivateKey: 'not a key',
        storageDriver: 'nfs',
      }),
    );
    assert.ok(d.includes('address must be an IP address or host name'));
    assert.ok(d.some((m) => /connection must be one of/.test(m)));
    assert.ok(d.some((m) => /sshPort must not be greater than 65535/.test(m)));
    assert.ok(d.includes('sshUser must be a POSIX user name'));
    assert.ok(d.includes('sshPrivateKey must be a PEM/OpenSSH private key'));
    assert.ok(d.includes('storageDriver must be one of: directory, san-lvm'));
  });

  test('validates the nested capacity', () => {
    const d = details(() => RegisterHostCommand.create({ ...good, capacity: { cpus: 0, memoryMb: 100.5, diskGb: 0 } }));
    assert.ok(
      d.some((m) => /cpus must not be less than 0.1/.test(m)),
      d.join(' | '),
    );
    assert.ok(
      d.some((m) => /memoryMb must be an integer/.test(m)),
      d.join(' | '),
    );
    assert.ok(
      d.some((m) => /diskGb must not be less than 1/.test(m)),
      d.join(' | '),
    );
    assert.ok(
      details(() => RegisterHostCommand.create({ ...good, capacity: undefined })).some((m) => /capacity/.test(m)),
    );
  });

  test('rejects unknown fields, top-level and nested', () => {
    assert.deepEqual(
      details(() => RegisterHostCommand.create({ ...good, status: 'active' })),
      ['property status should not exist'],
    );
    assert.ok(
      details(() => RegisterHostCommand.create({ ...good, capacity: { ...good.capacity, gpus: 2 } })).includes(
        'property gpus should not exist',
      ),
    );
  });
});
