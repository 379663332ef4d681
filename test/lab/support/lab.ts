import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { NodeSSH } from 'node-ssh';

/** What `test/lab/lab.sh up` wrote: SSH ports on 127.0.0.1, private addresses, the key. */
export interface LabVm {
  name: 'storage' | 'host1' | 'host2';
  sshPort: number;
  ip: string;
}

export function labEnv(): { key: string; vms: Record<LabVm['name'], LabVm> } {
  const file = `${process.env.DBAAS_LAB_DIR ?? '/var/lib/dbaas/lab'}/lab.env`;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  const vm = (name: LabVm['name']): LabVm => ({
    name,
    sshPort: Number(env[`LAB_${name.toUpperCase()}_SSH_PORT`]),
    ip: env[`LAB_${name.toUpperCase()}_IP`],
  });
  return {
    key: readFileSync(env.LAB_SSH_KEY, 'utf8'),
    vms: { storage: vm('storage'), host1: vm('host1'), host2: vm('host2') },
  };
}

/** SSH into a lab VM (through its forward on 127.0.0.1). */
export async function sshTo(vm: LabVm, key: string): Promise<NodeSSH> {
  return new NodeSSH().connect({
    host: '127.0.0.1',
    port: vm.sshPort,
    username: 'root',
    privateKey: key,
    readyTimeout: 20_000,
  });
}

export async function sh(
  ssh: NodeSSH,
  cmd: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await ssh.exec(cmd, args, { stream: 'both' });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A local port carried over SSH to an address on the lab's private segment (e.g. a database endpoint). */
export async function tunnel(ssh: NodeSSH, host: string, port: number): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    ssh.connection!.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) return socket.destroy();
      stream.on('error', () => socket.destroy());
      socket.pipe(stream).pipe(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/**
 * The VMs cannot reach the host's registry (their NAT is restricted), so an image is copied in with
 * `docker save` here and `docker load` there, the remote side through dockerode over SSH.
 */
export async function seedImage(vm: LabVm, key: string, image: string): Promise<'present' | 'loaded'> {
  const remote = new Docker({
    protocol: 'ssh',
    host: '127.0.0.1',
    port: vm.sshPort,
    username: 'root',
    sshOptions: { privateKey: key },
  } as Docker.DockerOptions);
  try {
    await remote.getImage(image).inspect();
    return 'present';
  } catch {
    const local = new Docker({ socketPath: '/var/run/docker.sock' });
    const tar = await local.getImage(image).get();
    const res = await remote.loadImage(tar);
    await new Promise((resolve, reject) =>
      remote.modem.followProgress(res, (err: Error | null) => (err ? reject(err) : resolve(null))),
    );
    await remote.getImage(image).inspect();
    return 'loaded';
  }
}
