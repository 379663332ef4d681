import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HOST_HELPER_PROTOCOL } from '@app/domain/ports/host-helper';

/**
 * The host helper run for real by python3, with stand-ins for drbdadm, findmnt, mount and install on its PATH (the
 * lab runs it against the real ones): what it decides from what it finds, and how it answers.
 */
const HELPER = join(__dirname, '../../../../ansible/files/dbaas-host-helper');
const RES = 'r-3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const work = mkdtempSync(join(tmpdir(), 'host-helper-'));
after(() => rmSync(work, { recursive: true, force: true }));

function helper(action: string, input: unknown, env: Record<string, string> = {}, protocol = HOST_HELPER_PROTOCOL) {
  const r = spawnSync('python3', ['-S', '-E', HELPER, String(protocol), action], {
    input: JSON.stringify(input),
    env: { PATH: '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, answer: JSON.parse(r.stdout.trim().split('\n').pop() || 'null'), stderr: r.stderr };
}

/** A directory of stand-in programs: each logs its argv to `log`; drbdadm answers from `state`. */
function standIns(state: { role: string; cstate: string; dstate: string }) {
  const dir = mkdtempSync(join(work, 'bin-'));
  const fence = mkdtempSync(join(work, 'fence-'));
  const log = join(dir, 'calls.log');
  const put = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const roleFile = join(dir, 'role');
  writeFileSync(roleFile, `${state.role}/Unknown`);
  // `primary` asks the fence-peer handler as DRBD would, and succeeds only once it is answered with its token.
  put(
    'drbdadm',
    `case "$1" in
  role) cat "${roleFile}"; echo ;;
  cstate) echo ${state.cstate} ;;
  dstate) echo ${state.dstate}/DUnknown ;;
  primary)
    if [ "$2" = "--force" ] || [ "${state.cstate}" = "Connected" ]; then echo Primary/Unknown > "${roleFile}"; exit 0; fi
    echo "1 42" > "${fence}/$2.request"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      if [ "$(cat "${fence}/$2.ack" 2>/dev/null)" = "1 42" ]; then echo Primary/Unknown > "${roleFile}"; exit 0; fi
      sleep 0.1
    done
    echo "fence-peer handler: no answer" >&2; exit 11 ;;
  up) exit 0 ;;
esac`,
  );
  // mount adds its line to the helper's mountinfo, as the kernel would.
  const mountinfo = join(dir, 'mountinfo');
  writeFileSync(mountinfo, '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n');
  put('mount', `echo "99 22 147:7 / $4 rw,noatime - ext4 $3 rw" >> "${mountinfo}"`);
  return {
    env: {
      DBAAS_HOST_HELPER_PATH: `${dir}:/usr/bin:/bin`,
      DBAAS_FENCE_DIR: fence,
      DBAAS_HOST_HELPER_MOUNTINFO: mountinfo,
      DBAAS_HOST_HELPER_PROC_DRBD: join(dir, 'no-proc-drbd'),
      DBAAS_HOST_HELPER_MOUNT_LOCK: join(dir, 'mount.lock'),
    },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    fence,
    dir,
    put,
  };
}

const takeover = (over: object = {}) => ({
  resource: RES,
  device: '/dev/drbd7',
  mount: join(work, 'volumes/v1'),
  forceFrom: [],
  requireTalking: null,
  answerFence: true,
  timeoutS: 10,
  ...over,
});

describe('host helper: protocol', () => {
  test('answers its version; an older helper than asked refuses and runs nothing (the caller falls back)', () => {
    const v = helper('version', {});
    assert.equal(v.code, 0);
    assert.deepEqual(v.answer, { ok: true, version: HOST_HELPER_PROTOCOL, took: { ms: v.answer.took.ms, runs: [] } });
    const newer = helper('version', {}, {}, HOST_HELPER_PROTOCOL + 1);
    assert.equal(newer.code, 65);
    assert.equal(helper('no-such-action', {}).code, 65);
  });

  test('bad values are refused before anything runs (exit 1, a JSON reason)', () => {
    const s = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'UpToDate' });
    const bad = helper('drbd-takeover', takeover({ resource: 'r-x; reboot' }), s.env);
    assert.equal(bad.code, 1);
    assert.match(bad.answer.error, /invalid resource/);
    const path = helper('drbd-takeover', takeover({ mount: '/srv/../etc' }), s.env);
    assert.match(path.answer.error, /invalid mount path/);
    const spaced = helper('drbd-takeover', takeover({ mount: '/srv/a b' }), s.env);
    assert.match(spaced.answer.error, /invalid mount path/);
    assert.deepEqual(s.calls(), []);
  });
});

describe('host helper: drbd-takeover', () => {
  test('a disconnected peer: promoted while the fence-peer request is answered, then mounted, in one call', () => {
    const s = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'UpToDate' });
    const r = helper('drbd-takeover', takeover(), s.env);
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.equal(r.answer.hostPath, join(work, 'volumes/v1/data'));
    assert.equal(r.answer.promoted, true);
    assert.equal(r.answer.forced, false);
    const calls = s.calls();
    assert.ok(calls.includes(`drbdadm primary ${RES}`), calls.join('\n'));
    assert.ok(
      calls.includes(`mount -o noatime,noinit_itable /dev/drbd7 ${join(work, 'volumes/v1')}`),
      calls.join('\n'),
    );
    // The request and its answer are spent.
    assert.equal(existsSync(join(s.fence, `${RES}.request`)), false);
  });

  test('not asked to answer the fence-peer handler: the promotion is refused, with its cause', () => {
    const s = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'UpToDate' });
    const r = helper('drbd-takeover', takeover({ answerFence: false }), s.env);
    assert.equal(r.code, 1);
    assert.match(r.answer.error, /drbdadm primary exited with 11: fence-peer handler: no answer/);
  });

  test('forcing only from the states the control plane listed; never from Inconsistent', () => {
    const outdated = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'Outdated' });
    const r = helper('drbd-takeover', takeover({ forceFrom: ['Outdated', 'Consistent', 'UpToDate'] }), outdated.env);
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.equal(r.answer.forced, true);
    assert.ok(outdated.calls().includes(`drbdadm primary --force ${RES}`));
    const mid = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'Inconsistent' });
    const refused = helper('drbd-takeover', takeover({ forceFrom: ['Outdated', 'Consistent', 'UpToDate'] }), mid.env);
    assert.match(refused.answer.error, /Inconsistent: it cannot be promoted/);
    assert.ok(!mid.calls().some((c) => c.startsWith('drbdadm primary')));
  });

  test('DRBD 8.4: the state is read from /proc/drbd, without starting drbdadm for it', () => {
    const s = standIns({ role: 'Secondary', cstate: 'Connected', dstate: 'UpToDate' });
    const proc = join(work, 'proc-drbd');
    writeFileSync(proc, 'version: 8.4.11\n 7: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----\n');
    const r = helper('drbd-takeover', takeover({ answerFence: false }), {
      ...s.env,
      DBAAS_HOST_HELPER_PROC_DRBD: proc,
    });
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.deepEqual(r.answer.state.cstate, 'Connected');
    assert.deepEqual(
      s.calls().filter((c) => c.startsWith('drbdadm')),
      [`drbdadm primary ${RES}`],
    );
  });

  test('a failover right after the power cut: it waits for DRBD to see the old primary gone, then promotes', () => {
    // The control plane may confirm the fence before DRBD's own ping (ping-int + ping-timeout) notices: until then
    // DRBD refuses a second primary. Here its view changes 1 s after the call.
    const s = standIns({ role: 'Secondary', cstate: 'Connected', dstate: 'UpToDate' });
    const proc = join(work, 'proc-drbd-late');
    writeFileSync(proc, 'version: 8.4.11\n 7: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r-----\n');
    s.put(
      'drbdadm',
      `case "$1" in
  primary)
    if grep -q 'ro:Secondary/Primary' "${proc}"; then echo "State change failed: (-1) Multiple primaries not allowed by config" >&2; exit 11; fi
    exit 0 ;;
esac`,
    );
    const later = spawn('sh', [
      '-c',
      `sleep 1; printf 'version: 8.4.11\n 7: cs:WFConnection ro:Secondary/Unknown ds:UpToDate/DUnknown C r-----\n' > "$1"`,
      'sh',
      proc,
    ]);
    try {
      const t0 = Date.now();
      const r = helper('drbd-takeover', takeover({ answerFence: false }), {
        ...s.env,
        DBAAS_HOST_HELPER_PROC_DRBD: proc,
      });
      assert.equal(r.code, 0, JSON.stringify(r.answer));
      assert.equal(r.answer.promoted, true);
      assert.ok(Date.now() - t0 >= 900, 'it waited for DRBD');
      assert.deepEqual(
        s.calls().filter((c) => c.startsWith('drbdadm')),
        [`drbdadm primary ${RES}`],
        'one promotion, once DRBD saw the peer gone',
      );
    } finally {
      later.kill();
    }
  });

  test('a switchover needs the peer still connected; already primary: only mounted', () => {
    const gone = standIns({ role: 'Secondary', cstate: 'WFConnection', dstate: 'UpToDate' });
    const r = helper('drbd-takeover', takeover({ requireTalking: ['Connected', 'SyncSource'] }), gone.env);
    assert.match(r.answer.error, /not connected to the old primary \(WFConnection\)/);
    const primary = standIns({ role: 'Primary', cstate: 'WFConnection', dstate: 'UpToDate' });
    const again = helper('drbd-takeover', takeover(), primary.env);
    assert.equal(again.answer.promoted, false);
    assert.ok(!primary.calls().some((c) => c.startsWith('drbdadm primary')));
  });
});

describe('host helper: prepare', () => {
  test("the volume becomes the engine user's; password files 0600 in a 0700 directory, the secrets masked in errors", () => {
    const vol = join(work, 'vol');
    mkdirSync(join(vol, 'data/sub'), { recursive: true });
    writeFileSync(join(vol, 'data/sub/f'), 'x');
    const root = join(work, 'secrets');
    const dir = join(root, 'db1');
    const r = helper('prepare', {
      volume: { path: vol, uid: 999, gid: 998 },
      secrets: { root, dir, uid: 999, gid: 998, files: { postgres_password: 'S3cret' } },
    });
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    for (const p of [vol, join(vol, 'data/sub/f')]) assert.deepEqual([statSync(p).uid, statSync(p).gid], [999, 998]);
    assert.equal(statSync(root).mode & 0o777, 0o700);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const f = statSync(join(dir, 'postgres_password'));
    assert.deepEqual([f.uid, f.mode & 0o777], [999, 0o600]);
    assert.equal(readFileSync(join(dir, 'postgres_password'), 'utf8'), 'S3cret');
    const bad = helper('prepare', {
      volume: { path: vol, uid: 0, gid: 998 },
      secrets: { root, dir, uid: 999, gid: 998, files: { x: 'S3cret' } },
    });
    assert.match(bad.answer.error, /invalid uid/);
  });
});

describe('host helper: where its time went', () => {
  test('the answer says what each program took, by its name only (never an argument, which may be a secret)', () => {
    const vol = join(work, 'vol-took');
    mkdirSync(join(vol, 'data'), { recursive: true });
    const r = helper('prepare', { volume: { path: vol, uid: 999, gid: 998 } });
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.equal(typeof r.answer.took.ms, 'number');
    assert.deepEqual(
      r.answer.took.runs.map((x: [string, number]) => x[0]),
      ['find'],
    );
    assert.ok(r.answer.took.runs.every((x: [string, number]) => Number.isInteger(x[1]) && x[1] >= 0));
  });
});

describe('host helper: san-attach', () => {
  const IQN = 'iqn.2026-01.lab.storage:lun-1';
  const attach = (mount: string) => ({
    iqn: IQN,
    portal: '10.99.0.10:3260',
    chapUser: 'host2',
    chapPassword: 'ChapS3cret12',
    vg: 'dbaas-lun1',
    lv: 'v-1',
    sizeGb: 1,
    mount,
  });
  /** iscsiadm as open-iscsi answers: no session until --login, no node record until discovery (unless `known`). */
  function san(known: boolean) {
    const s = standIns({ role: 'Secondary', cstate: 'Connected', dstate: 'UpToDate' });
    const record = join(s.dir, 'record');
    const session = join(s.dir, 'session');
    if (known) writeFileSync(record, '');
    s.put(
      'iscsiadm',
      `case "$*" in
  *"-m session"*) [ -f "${session}" ] || exit 21; printf 'Target: ${IQN}\\n\\t\\tAttached scsi disk sdb\\tState: running\\n' ;;
  *discovery*) touch "${record}" ;;
  *"-o update"*) [ -f "${record}" ] || exit 21 ;;
  *--login*) touch "${session}" ;;
esac`,
    );
    s.put('lvchange', 'exit 0');
    return s;
  }
  const programs = (calls: string[]) =>
    calls.map((c) => {
      const [name, ...rest] = c.split(' ');
      return name === 'iscsiadm'
        ? `iscsiadm ${rest.find((a) => ['session', 'discovery'].includes(a)) ?? rest.find((a) => a.startsWith('--') || a === 'update')}`
        : name;
    });

  test('a takeover of a made volume: the settings in one call, login, the volume activated alone, mounted', () => {
    const s = san(true);
    const r = helper('san-attach', attach(join(work, 'volumes/san1')), s.env);
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.equal(r.answer.device, '/dev/dbaas-lun1/v-1');
    assert.deepEqual(programs(s.calls()), [
      'iscsiadm session',
      'iscsiadm update',
      'iscsiadm --login',
      'iscsiadm session',
      'lvchange',
      'mount',
    ]);
    const update = s.calls()[1];
    for (const key of ['authmethod -v CHAP', 'username -v host2', 'password -v ChapS3cret12', 'startup -v automatic'])
      assert.ok(update.includes(`node.session.auth.${key}`) || update.includes(`node.${key}`), update);
    assert.ok(!JSON.stringify(r.answer).includes('ChapS3cret12'), 'the CHAP secret is not in the answer');
  });

  test('a host that never saw the target discovers it first, then sets it up the same way', () => {
    const s = san(false);
    const r = helper('san-attach', attach(join(work, 'volumes/san2')), s.env);
    assert.equal(r.code, 0, JSON.stringify(r.answer));
    assert.deepEqual(programs(s.calls()).slice(0, 5), [
      'iscsiadm session',
      'iscsiadm update',
      'iscsiadm discovery',
      'iscsiadm update',
      'iscsiadm --login',
    ]);
  });
});
