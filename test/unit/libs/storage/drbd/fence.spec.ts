import { HOST_HELPER_PATH } from '@app/domain/ports/host-helper';
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandExecutor, CommandResult, RunOptions } from '@app/domain/ports/infrastructure';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { renderResource } from '@app/storage/drbd/drbd';
import { DrbdStorageDriver } from '@app/storage/drbd/drbd.driver';
import {
  FENCE_DIR,
  fenceCmd,
  fenceToken,
  parseFenceMarkers,
  parseStateRead,
  pendingRequest,
} from '@app/storage/drbd/fence';

const VID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const RES = `r-${VID}`;
const OTHER = 'r-7c9e6679-7425-40de-944b-e07fc1f90ae7';
const PROC = [
  'version: 8.4.11 (api:1/proto:86-101)',
  ' 3: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C s-----',
  '    ns:0 nr:0 dw:8 dr:0 al:1 bm:0 lo:0 pe:1 ua:0 ap:1 ep:1 wo:f oos:8',
];
const grepOut = (lines: string[]) => lines.join('\n') + '\n';
const MNT = `/var/lib/dbaas/volumes/${VID}`;

describe('fence-peer markers', () => {
  test('one read: /proc/drbd and the markers, split; foreign, temporary and hostile names ignored', () => {
    const out = grepOut([
      ...PROC.map((l) => `/proc/drbd:${l}`),
      `${FENCE_DIR}/${RES}.request:1795900000 4242`,
      `${FENCE_DIR}/${OTHER}.request:1795900001 77`,
      `${FENCE_DIR}/${OTHER}.ack:1795900001 77`,
      `${FENCE_DIR}/${RES}.request.tmp:1795900002 1`,
      `${FENCE_DIR}/r-helpertest.request:1 2`,
      `${FENCE_DIR}/r-../../etc/passwd.request:1 2`,
      `${FENCE_DIR}/notes.txt:hello`,
      'grep: something odd',
    ]);
    const { proc, markers } = parseStateRead(out);
    assert.equal(proc, grepOut(PROC));
    assert.deepEqual(
      [...markers.entries()],
      [
        [RES, { request: '1795900000 4242' }],
        [OTHER, { request: '1795900001 77', ack: '1795900001 77' }],
      ],
    );
    assert.equal(pendingRequest(markers.get(RES)), '1795900000 4242');
    assert.equal(pendingRequest(markers.get(OTHER)), null, 'answered');
    assert.equal(pendingRequest(undefined), null);
    assert.equal(pendingRequest({ ack: '1 2' }), null);
    // An ack of an earlier request does not answer this one.
    assert.equal(pendingRequest({ request: '1795900009 5', ack: '1795900000 4242' }), '1795900009 5');
    // Garbage in a request is not answerable (the handler writes it whole, by rename).
    assert.equal(pendingRequest({ request: '1795900009 5; reboot' }), null);
  });

  test('/proc/drbd not read (no module, or the read failed): null, whatever the markers say', () => {
    assert.equal(parseStateRead(`${FENCE_DIR}/${RES}.request:1 2\n`).proc, null);
    assert.equal(parseStateRead('').proc, null);
    assert.equal(parseFenceMarkers('').size, 0);
  });

  test('commands: argv only, exact; tokens are checked', () => {
    assert.deepEqual(fenceCmd.readState(), ['grep', '-r', '-H', '-s', '', '/proc/drbd', '/var/lib/dbaas/drbd-fence']);
    assert.deepEqual(fenceCmd.writeAck(RES), ['tee', `/var/lib/dbaas/drbd-fence/${RES}.ack`]);
    assert.deepEqual(fenceCmd.clear(RES), [
      'rm',
      '-f',
      `/var/lib/dbaas/drbd-fence/${RES}.request`,
      `/var/lib/dbaas/drbd-fence/${RES}.ack`,
    ]);
    for (const bad of ['../x', 'r-$(id)', 'all', ''])
      assert.throws(() => fenceCmd.writeAck(bad), /unsafe DRBD resource name/);
    assert.equal(fenceToken('1795900000 4242'), '1795900000 4242');
    for (const bad of ['', '1795900000', '1795900000 4242\nrm', 'a b', '1 2 3', ' 1 2'])
      assert.throws(() => fenceToken(bad), /unsafe fence-peer token/, JSON.stringify(bad));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The driver on scripted hosts.

type Handler = (argv: readonly string[], opts: RunOptions) => CommandResult | Promise<CommandResult>;

/** A host: each command answered by the first rule that matches; every call recorded. */
class ScriptedHost implements CommandExecutor {
  readonly calls: { argv: string[]; opts: RunOptions }[] = [];
  constructor(private readonly rules: [(argv: readonly string[]) => boolean, Handler][]) {}
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    // No host helper here: these are the single commands (the helper's own spec runs it).
    if (argv.includes(HOST_HELPER_PATH)) return { exitCode: 127, stdout: '', stderr: 'python3: not found' };
    this.calls.push({ argv: [...argv], opts });
    const rule = this.rules.find(([m]) => m(argv));
    if (!rule) throw new Error(`unexpected command: ${JSON.stringify(argv)}`);
    return rule[1](argv, opts);
  }
  async spawn(): Promise<never> {
    throw new Error('not supported');
  }
  get argvs(): string[][] {
    return this.calls.map((c) => c.argv);
  }
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const adm =
  (sub: string) =>
  (argv: readonly string[]): boolean =>
    argv[0] === 'drbdadm' && argv.includes(sub);
const prog =
  (p: string, ...args: string[]) =>
  (argv: readonly string[]): boolean =>
    argv[0] === p && args.every((a) => argv.includes(a));

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({
    id,
    name: id,
    status: 'active',
    connection: 'ssh',
    dataRoot: '/var/lib/dbaas/volumes',
    replicationAddress: id === 'h1' ? '10.99.1.11' : '10.99.1.12',
    ...extra,
  }) as HostEntity;

const volume = (extra: Partial<VolumeEntity> = {}) =>
  ({
    id: VID,
    databaseId: 'db1',
    hostId: 'h1',
    peerHostId: 'h2',
    driver: 'drbd',
    ha: 'drbd',
    sizeGb: 1,
    drbdMinor: 3,
    device: '/dev/drbd3',
    path: null,
    mirrorState: 'synced',
    ...extra,
  }) as VolumeEntity;

/** A sealer that marks what it sealed (the driver must only ever store sealed text). */
const sealer = { seal: (p: string) => `sealed:${p}`, open: (s: string) => s.replace(/^sealed:/, '') };

function driverOn(hosts: Record<string, ScriptedHost>, sealed: { v: string | null } = { v: null }) {
  const volumes = {
    getSealedDrbdSecret: async () => sealed.v,
    // Drivers return what changed; the domain records it (test/unit/libs/domain/volumes/volume-changes.spec.ts).
    update: async () => assert.fail('the driver wrote the volumes table'),
  };
  const hostRepo = { get: async (id: string) => host(id) };
  const connector = { executor: async (h: HostEntity) => hosts[h.id] };
  return {
    driver: new DrbdStorageDriver(connector as never, hostRepo as never, volumes as never, sealer as never, {
      record: async () => assert.fail('a change is returned, not recorded by the driver'),
      recordSealedDrbdSecretIfNone: async (_id: string, s: string) => {
        sealed.v ??= s;
      },
    }),
    sealed,
  };
}

describe('the DRBD driver and the fence-peer handler', () => {
  test('mirrors(): a primary whose handler waits is reported with its request; an answered one is not', async () => {
    let markers = [`${FENCE_DIR}/${RES}.request:1795900000 4242`];
    const h1 = new ScriptedHost([
      [prog('grep'), () => ok(grepOut([...PROC.map((l) => `/proc/drbd:${l}`), ...markers]))],
    ]);
    const { driver } = driverOn({ h1 });
    const v = volume();
    assert.deepEqual((await driver.mirrors(host('h1'), [v])).get(VID), {
      role: 'primary',
      state: 'degraded',
      fenceRequest: '1795900000 4242',
      fenceMarkers: true,
    });
    assert.deepEqual(h1.argvs, [fenceCmd.readState()], 'one round trip');
    markers = [...markers, `${FENCE_DIR}/${RES}.ack:1795900000 4242`];
    assert.deepEqual((await driver.mirrors(host('h1'), [v])).get(VID), {
      role: 'primary',
      state: 'degraded',
      fenceMarkers: true,
    });
  });

  test('ackFencePeer: the token through tee, nothing built into a shell line; a bad token writes nothing', async () => {
    const h1 = new ScriptedHost([[prog('tee'), () => ok()]]);
    const { driver } = driverOn({ h1 });
    await driver.ackFencePeer(host('h1'), volume(), '1795900000 4242');
    assert.deepEqual(h1.calls[0].argv, ['tee', `${FENCE_DIR}/${RES}.ack`]);
    assert.equal(h1.calls[0].opts.input, '1795900000 4242\n');
    await assert.rejects(driver.ackFencePeer(host('h1'), volume(), '1 2; reboot'), /unsafe fence-peer token/);
    assert.equal(h1.calls.length, 1);
  });

  test('outdatePeer: waits while the peer still sees the link, then outdates it; never a primary', async () => {
    const cstates = ['Connected', 'Connected', 'WFConnection'];
    const h2 = new ScriptedHost([
      [adm('role'), () => ok('Secondary/Unknown\n')],
      [adm('cstate'), () => ok(`${cstates.length > 1 ? cstates.shift() : cstates[0]}\n`)],
      [adm('dstate'), () => ok('UpToDate/DUnknown\n')],
      [adm('outdate'), () => ok()],
    ]);
    const { driver } = driverOn({ h2 });
    await driver.outdatePeer(host('h2'), volume());
    assert.deepEqual(h2.argvs.at(-1), ['drbdadm', 'outdate', RES]);
    assert.equal(h2.argvs.filter((a) => a[1] === 'outdate').length, 1);

    const primary = new ScriptedHost([
      [adm('role'), () => ok('Primary/Unknown\n')],
      [adm('cstate'), () => ok('WFConnection\n')],
      [adm('dstate'), () => ok('UpToDate/DUnknown\n')],
    ]);
    await assert.rejects(driverOn({ h2: primary }).driver.outdatePeer(host('h2'), volume()), /is primary/);
    assert.equal(primary.argvs.filter((a) => a[1] === 'outdate').length, 0);
  });

  /**
   * A peer as DRBD 8.4 behaves with `fencing resource-and-stonith`: `drbdadm primary` on a disconnected secondary
   * runs the fence-peer handler (here: writes the request) and succeeds only once it is answered with the token.
   */
  function promotingPeer(opts: { disk?: string } = {}) {
    const state = { role: 'Secondary', disk: opts.disk ?? 'UpToDate', request: '', ack: '', mounted: false };
    const h2 = new ScriptedHost([
      [adm('role'), () => ok(`${state.role}/Unknown\n`)],
      [adm('cstate'), () => ok('WFConnection\n')],
      [adm('dstate'), () => ok(`${state.disk}/DUnknown\n`)],
      [
        adm('primary'),
        async (argv) => {
          if (state.disk !== 'UpToDate' && !argv.includes('--force')) return { exitCode: 17, stdout: '', stderr: '' };
          state.request = '1795900000 99';
          for (let i = 0; i < 50 && state.ack !== state.request; i++) await new Promise((r) => setTimeout(r, 20));
          if (state.ack !== state.request)
            return { exitCode: 11, stdout: '', stderr: 'Refusing to be Primary while peer is not outdated' };
          state.role = 'Primary';
          return ok();
        },
      ],
      [
        prog('grep', '-r'),
        () =>
          state.request
            ? ok(
                grepOut([
                  `${FENCE_DIR}/${RES}.request:${state.request}`,
                  ...(state.ack ? [`${FENCE_DIR}/${RES}.ack:${state.ack}`] : []),
                ]),
              )
            : { exitCode: 1, stdout: '', stderr: '' },
      ],
      [
        prog('tee'),
        (_a, o) => {
          state.ack = String(o.input).trim();
          return ok();
        },
      ],
      [prog('rm', '-f'), () => ok()],
      [
        prog('findmnt'),
        (argv) =>
          !state.mounted
            ? { exitCode: 1, stdout: '', stderr: '' }
            : ok(argv.includes('TARGET,SOURCE') ? `${MNT} /dev/drbd3\n` : `${MNT}\n`),
      ],
      [
        prog('mount'),
        () => {
          state.mounted = true;
          return ok();
        },
      ],
      [() => true, () => ok()],
    ]);
    return { h2, state };
  }

  test('takeover: the promotion waits for the handler, and the control plane answers it (old primary fenced)', async () => {
    const { h2, state } = promotingPeer();
    const { driver } = driverOn({ h2 }, { v: 'sealed:Zq7WmKc3xPb9RtYh2NvLs8Df4GjA6EuT' });
    const out = await driver.takeover(host('h2'), volume());
    assert.equal(state.role, 'Primary');
    assert.equal(state.ack, '1795900000 99');
    const i = h2.argvs.findIndex((a) => a[0] === 'tee');
    assert.ok(i > 0 && h2.argvs.slice(0, i).some((a) => a[1] === 'primary'), 'answered while the promotion ran');
    assert.deepEqual(
      h2.argvs.find((a) => a[0] === 'drbdadm' && a[1] === 'primary'),
      ['drbdadm', 'primary', RES],
      'not forced',
    );
    // This promotion's markers are spent.
    assert.ok(h2.argvs.some((a) => a[0] === 'rm' && a.includes(`${FENCE_DIR}/${RES}.ack`)));
    // The move is returned for the domain to record: the target is the host, the old primary its degraded peer.
    assert.deepEqual(out.changed, {
      device: '/dev/drbd3',
      path: `${MNT}/data`,
      hostId: 'h2',
      peerHostId: 'h1',
      mirrorState: 'degraded',
    });
    // The secret is masked in every command's errors.
    assert.ok(
      h2.calls
        .filter((c) => c.argv[0] === 'drbdadm')
        .every((c) => c.opts.secrets?.includes('Zq7WmKc3xPb9RtYh2NvLs8Df4GjA6EuT')),
    );
  });

  test('takeover with acceptDataLoss: an Outdated copy promoted with --force; an Inconsistent one never', async () => {
    const { h2, state } = promotingPeer({ disk: 'Outdated' });
    await driverOn({ h2 }).driver.takeover(host('h2'), volume(), { acceptDataLoss: true });
    assert.equal(state.role, 'Primary');
    assert.ok(h2.argvs.some((a) => a.join(' ') === `drbdadm primary --force ${RES}`));

    const plain = promotingPeer({ disk: 'Outdated' });
    await assert.rejects(driverOn({ h2: plain.h2 }).driver.takeover(host('h2'), volume()), /exited with 17/);

    const inc = promotingPeer({ disk: 'Inconsistent' });
    await assert.rejects(
      driverOn({ h2: inc.h2 }).driver.takeover(host('h2'), volume(), { acceptDataLoss: true }),
      /Inconsistent: it cannot be promoted, even accepting data loss/,
    );
    assert.equal(inc.h2.argvs.filter((a) => a[1] === 'primary').length, 0);
  });

  test('takeover after a clean release (switchover): promoted only while still connected, nothing answered', async () => {
    const connected = new ScriptedHost([
      [adm('role'), () => ok('Secondary/Secondary\n')],
      [adm('cstate'), () => ok('Connected\n')],
      [adm('dstate'), () => ok('UpToDate/UpToDate\n')],
      [adm('primary'), () => ok()],
      [prog('findmnt'), (argv) => ok(argv.includes('TARGET,SOURCE') ? `${MNT} /dev/drbd3\n` : `${MNT}\n`)],
      [() => true, () => ok()],
    ]);
    await driverOn({ h2: connected }).driver.takeover(host('h2'), volume(), { released: true });
    assert.ok(connected.argvs.some((a) => a.join(' ') === `drbdadm primary ${RES}`));
    assert.ok(!connected.argvs.some((a) => a[0] === 'grep' || a[0] === 'tee'), 'no fence-peer answer');

    const { h2 } = promotingPeer();
    await assert.rejects(
      driverOn({ h2 }).driver.takeover(host('h2'), volume(), { released: true }),
      /not connected to the old primary \(WFConnection\): a switchover would lose writes/,
    );
    assert.equal(h2.argvs.filter((a) => a[1] === 'primary').length, 0);
  });

  test('rejoin: both files rendered with a new sealed secret; the returning host reconnects as the side to overwrite', async () => {
    const files: Record<string, string> = {};
    const hostWith = (name: string, role: string, up: boolean) =>
      new ScriptedHost([
        [prog('uname'), () => ok(`${name}\n`)],
        [prog('test', '-x'), () => ok()],
        [prog('cat'), () => (files[name] ? ok(files[name]) : { exitCode: 1, stdout: '', stderr: 'No such file' })],
        [
          prog('tee'),
          (_a, o) => {
            files[name] = String(o.input);
            return ok();
          },
        ],
        [adm('role'), () => (up ? ok(`${role}/Unknown\n`) : { exitCode: 10, stdout: '', stderr: 'not up' })],
        [adm('cstate'), () => ok('WFConnection\n')],
        [adm('dstate'), () => ok('UpToDate/DUnknown\n')],
        [prog('findmnt'), () => ({ exitCode: 1, stdout: '', stderr: '' })],
        [() => true, () => ok()],
      ]);
    const h1 = hostWith('host1', 'Secondary', false); // returning
    const h2 = hostWith('host2', 'Primary', true);
    const { driver, sealed } = driverOn({ h1, h2 });
    await driver.rejoin(host('h1'), volume({ hostId: 'h2', peerHostId: 'h1' }));
    // Generated once, stored sealed, the same in both files, in [A-Za-z0-9]{32,64}.
    assert.match(sealed.v ?? '', /^sealed:[A-Za-z0-9]{32,64}$/);
    const secret = sealed.v!.slice('sealed:'.length);
    assert.equal(files.host1, files.host2);
    assert.ok(files.host1.includes(`shared-secret "${secret}";`));
    assert.equal(
      files.host1,
      renderResource({
        name: RES,
        minor: 3,
        port: 7803,
        sharedSecret: secret,
        nodes: [
          { hostname: 'host1', address: '10.99.1.11', disk: `/dev/local/d-${VID}` },
          { hostname: 'host2', address: '10.99.1.12', disk: `/dev/local/d-${VID}` },
        ],
      }),
      'nodes in name order, whichever side is primary',
    );
    const drbdadm = (x: ScriptedHost) =>
      x.argvs.filter((a) => a[0] === 'drbdadm' && !['role', 'cstate', 'dstate'].includes(a[1])).map((a) => a.join(' '));
    assert.deepEqual(drbdadm(h1), [
      `drbdadm up ${RES}`,
      `drbdadm disconnect ${RES}`,
      `drbdadm connect --discard-my-data ${RES}`,
    ]);
    assert.deepEqual(drbdadm(h2), [`drbdadm adjust ${RES}`]);
    // Files and drbdadm calls carry the secret for masking; it is never in an argv.
    for (const x of [h1, h2]) {
      assert.ok(x.argvs.every((a) => !a.join(' ').includes(secret)));
      assert.ok(
        x.calls
          .filter((c) => c.argv[0] === 'tee' || c.argv[0] === 'drbdadm')
          .every((c) => c.opts.secrets?.includes(secret)),
      );
    }
  });

  test('rejoin without the handler installed on a host: refused before anything changes', async () => {
    const h1 = new ScriptedHost([
      [prog('uname'), () => ok('host1\n')],
      [prog('test', '-x'), () => ({ exitCode: 1, stdout: '', stderr: '' })],
      [prog('findmnt'), () => ({ exitCode: 1, stdout: '', stderr: '' })],
    ]);
    const h2 = new ScriptedHost([
      [prog('uname'), () => ok('host2\n')],
      [prog('test', '-x'), () => ok()],
    ]);
    await assert.rejects(
      driverOn({ h1, h2 }).driver.rejoin(host('h1'), volume({ hostId: 'h2', peerHostId: 'h1' })),
      /fence-peer handler is not installed/,
    );
    assert.ok(![...h1.argvs, ...h2.argvs].some((a) => a[0] === 'tee' || a[0] === 'drbdadm'));
  });
});
