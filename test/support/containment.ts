import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Stack } from './stack';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `docker exec` in a container (argv, no shell unless asked), as its own user unless `user`; bounded in time. */
export async function execIn(
  stack: Stack,
  containerId: string,
  cmd: string[],
  opts: { user?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const x = await stack.docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(opts.user ? { User: opts.user } : {}) });
  const stream = await x.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  stack.docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')}: no exit within ${timeoutMs} ms`)), timeoutMs);
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('error', (e) => (clearTimeout(timer), reject(e)));
  });
  return { exitCode: (await x.inspect()).ExitCode ?? -1, stdout, stderr };
}

/** Whether a TCP connection from inside the container to `address:port` opens within 5 s (bash's /dev/tcp). */
export async function connectsFrom(stack: Stack, containerId: string, address: string, port: number): Promise<boolean> {
  const r = await execIn(stack, containerId, ['timeout', '5', 'bash', '-c', `</dev/tcp/${address}/${port}`]);
  return r.exitCode === 0;
}

/** The only container of a database. */
export async function containerOf(stack: Stack, databaseId: string): Promise<string> {
  const cs = await stack.containersOf(databaseId);
  assert.equal(cs.length, 1, `one container for ${databaseId}`);
  return cs[0].Id;
}

/** The container's address on its network and that network's gateway (the host's side of the bridge). */
export async function addressOf(stack: Stack, containerId: string): Promise<{ ip: string; gateway: string }> {
  const nets = (await stack.docker.getContainer(containerId).inspect()).NetworkSettings.Networks;
  const [n] = Object.values(nets);
  assert.ok(n?.IPAddress, JSON.stringify(nets));
  return { ip: n.IPAddress, gateway: n.Gateway };
}

/**
 * What `docker inspect` says of a database container: no capability but `capAdd`, the engine's user (not root), a
 * read-only root with tmpfs for `tmpfs`, no-new-privileges, the pids and ulimits, no password in the env, and the
 * tenant's own network with traffic between its containers off. Inside, its first process has no capability.
 */
export async function assertContained(
  stack: Stack,
  databaseId: string,
  expect: { tenantId: string; tmpfs: string[]; capAdd?: string[]; passwords: string[] },
): Promise<void> {
  const id = await containerOf(stack, databaseId);
  const info = await stack.docker.getContainer(id).inspect();
  const hc = info.HostConfig;
  const network = `dbaas-t-${expect.tenantId}`;
  assert.deepEqual(hc.CapDrop, ['ALL']);
  assert.deepEqual(hc.CapAdd ?? [], expect.capAdd ?? []);
  assert.equal(info.Config.User, '999:999');
  assert.equal(hc.ReadonlyRootfs, true);
  assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
  assert.equal(hc.PidsLimit, 1024);
  assert.deepEqual(
    (hc.Ulimits ?? []).map((u) => [u.Name, u.Soft, u.Hard]),
    [
      ['nofile', 16384, 16384],
      ['core', 0, 0],
    ],
  );
  assert.deepEqual(Object.keys(hc.Tmpfs ?? {}).sort(), [...expect.tmpfs].sort());
  assert.equal(hc.NetworkMode, network);
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [network]);
  const net = await stack.docker.getNetwork(network).inspect();
  assert.equal(net.Driver, 'bridge');
  assert.equal(net.Options?.['com.docker.network.bridge.enable_icc'], 'false');
  assert.equal(net.Internal, false, 'published ports need a non-internal network');
  for (const pw of expect.passwords) {
    assert.ok(!JSON.stringify(info.Config.Env ?? []).includes(pw), 'no password in the env');
    assert.ok(!JSON.stringify(info.Config.Cmd ?? []).includes(pw), 'no password on the command line');
  }
  // The running engine: uid 999, no effective, permitted or bounding capability, no new privileges.
  const status = (await execIn(stack, id, ['cat', '/proc/1/status'])).stdout;
  assert.match(status, /^Uid:\s+999\s+999\s+999\s+999$/m, status);
  for (const set of ['CapEff', 'CapPrm', 'CapBnd']) assert.match(status, new RegExp(`^${set}:\\s+0+$`, 'm'), status);
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  // The root is read-only, even to uid 0 (who owns it); its tmpfs are writable by the engine.
  const rootWrite = await execIn(stack, id, ['touch', '/probe'], { user: '0' });
  assert.match(rootWrite.stderr, /Read-only file system/, JSON.stringify(rootWrite));
  for (const dir of expect.tmpfs) {
    const w = await execIn(stack, id, ['touch', `${dir}/probe`]);
    assert.equal(w.exitCode, 0, `${dir}: ${w.stderr}`);
    await execIn(stack, id, ['rm', '-f', `${dir}/probe`]);
  }
}

/** The password files of a database on the host: 0600, owned by the engine user, in a 0700 directory of its own. */
export function assertSecretFiles(stack: Stack, databaseId: string, files: string[]): void {
  const dir = `${stack.dataRoot}/secrets/${databaseId}`;
  const d = statSync(dir);
  assert.equal((d.mode & 0o777).toString(8), '700');
  assert.equal(d.uid, 999);
  for (const f of files) {
    const s = statSync(`${dir}/${f}`);
    assert.equal((s.mode & 0o777).toString(8), '600', f);
    assert.deepEqual([s.uid, s.gid], [999, 999], f);
  }
}
