import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { SshExecutor, dockerOverSsh } from '@app/hosts';
import { servicesEnv } from '../../support/services';
import { labEnv, seedImage } from '../support/lab';

/**
 * `npm run bench:lab`, first part: what the lab costs against what emulation allows, on one database host VM.
 * Each platform figure is printed beside its raw baseline, measured in the same run on the same VM:
 * - an SSH command round trip: OpenSSH over one persistent connection (ControlMaster) vs the platform's
 *   executor (one kept-alive ssh2 session);
 * - `docker create` + `start` of the PostgreSQL image with a published port: timed inside the VM (docker CLI) vs
 *   through the platform's Docker API over the host's SSH session.
 * Targets (issue 17): SSH command ≤ 0.25 s, PostgreSQL container create+start ≤ 8 s.
 * Also printed: the platform's create and start apart, and the CPU time host1's qemu spent per create+start
 * (from /proc): under TCG a start is CPU-bound in the guest, so wall time over CPU time shows how much of
 * the run the VM waited for a host core (other work on the machine) rather than emulated.
 */
const RUNS = Number(process.env.BENCH_EMULATION_RUNS ?? 10);
const DOCKER_RUNS = Number(process.env.BENCH_EMULATION_DOCKER_RUNS ?? 3);
const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number) => (ms / 1000).toFixed(3);
// utime + stime of a process, ms (clock ticks are 1/100 s on Linux).
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function main(): Promise<void> {
  const lab = labEnv();
  const vm = lab.vms.host1;
  const image = `${servicesEnv().IMAGE_REGISTRY}/library/postgres:15`;
  await seedImage(vm, lab.key, image);

  // Raw: OpenSSH, one master connection, commands multiplexed over it.
  const dir = mkdtempSync(join(tmpdir(), 'bench-emulation-'));
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, lab.key, { mode: 0o600 });
  const sock = join(dir, 'ctl');
  const base = [
    ...['-i', keyFile, '-p', String(vm.sshPort), '-S', sock],
    ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
    ...['-o', 'BatchMode=yes'],
  ];
  const master = spawn('ssh', [...base, '-M', '-N', 'root@127.0.0.1'], { stdio: 'ignore' });
  const exec = new SshExecutor({
    host: '127.0.0.1',
    port: vm.sshPort,
    username: 'root',
    privateKey: lab.key,
    label: 'host1',
  });
  try {
    for (let i = 0; i < 50; i++) {
      if (
        await run('ssh', [...base, '-O', 'check', 'root@127.0.0.1']).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const raw: number[] = [];
    const mine: number[] = [];
    await exec.run(['true']);
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await run('ssh', [...base, 'root@127.0.0.1', 'true']);
      raw.push(performance.now() - t);
      t = performance.now();
      const r = await exec.run(['true']);
      if (r.exitCode !== 0) throw new Error(`true: ${r.stderr}`);
      mine.push(performance.now() - t);
    }

    // Docker: the same create + start, by the CLI inside the VM and by the platform's API path.
    const docker = new Docker({ agent: dockerOverSsh(exec) } as Docker.DockerOptions);
    const rawDocker: number[] = [];
    const apiDocker: number[] = [];
    const apiCreate: number[] = [];
    const apiStart: number[] = [];
    const qemuCpu: number[] = [];
    const qemuPid = Number(
      readFileSync(`${process.env.DBAAS_LAB_DIR ?? '/var/lib/dbaas/lab'}/vms/host1/qemu.pid`, 'utf8'),
    );
    const script =
      'docker rm -f bench-emu >/dev/null 2>&1; a=$(date +%s%N); ' +
      'docker create --name bench-emu -p 127.0.0.1::5432 "$1" >/dev/null && docker start bench-emu >/dev/null; ' +
      'b=$(date +%s%N); docker rm -f bench-emu >/dev/null; echo $(( (b - a) / 1000000 ))';
    for (let i = 0; i < DOCKER_RUNS; i++) {
      const r = await exec.run(['sh', '-c', script, 'sh', image], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`raw docker: ${r.stderr}`);
      rawDocker.push(Number(r.stdout.trim()));
      const cpu0 = cpuMs(qemuPid);
      const t = performance.now();
      const c = await docker.createContainer({
        name: 'bench-emu',
        Image: image,
        ExposedPorts: { '5432/tcp': {} },
        HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      const created = performance.now();
      await c.start();
      const started = performance.now();
      apiDocker.push(started - t);
      apiCreate.push(created - t);
      apiStart.push(started - created);
      qemuCpu.push(cpuMs(qemuPid) - cpu0);
      await c.remove({ force: true });
    }

    const rows: [string, number, number, number][] = [
      ['ssh command round trip', median(raw), median(mine), 250],
      ['postgres create+start', median(rawDocker), median(apiDocker), 8000],
    ];
    console.log(
      `\nThe lab against raw emulation (host1, QEMU TCG; medians of ${RUNS} and ${DOCKER_RUNS} runs; seconds)`,
    );
    console.log(
      `${'what'.padEnd(26)}${'raw'.padStart(9)}${'platform'.padStart(10)}${'ratio'.padStart(8)}${'target'.padStart(9)}  ok`,
    );
    for (const [what, r, p, target] of rows)
      console.log(
        `${what.padEnd(26)}${s(r).padStart(9)}${s(p).padStart(10)}${(p / r).toFixed(2).padStart(8)}${s(target).padStart(9)}  ${p <= target ? 'yes' : 'NO'}`,
      );
    console.log(
      `platform create ${s(median(apiCreate))} s + start ${s(median(apiStart))} s; host1 qemu CPU per create+start` +
        ` ${s(median(qemuCpu))} s; host load ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`,
    );
    console.log(
      'raw: OpenSSH over a ControlMaster connection; docker CLI timed inside the VM. platform: the ssh2 executor and' +
        " the Docker API over the host's one SSH session, as the worker uses them.",
    );
  } finally {
    await exec.close();
    master.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
