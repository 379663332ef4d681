import { type CommandExecutor, runHostHelper } from '../../ports';

/**
 * What a host must hold before a database's container starts as the engine's user: its volume owned by that user
 * (the entrypoint cannot chown any more: no root, no capability), and the password files the entrypoint reads at
 * its first start, each 0600 and the user's, in a 0700 directory of the database's own.
 */
export interface HostPreparation {
  volume: { path: string; uid: number; gid: number };
  secrets: {
    /** `<dataRoot>/secrets`: root's, 0700 (the container mounts the directory below it, never this one). */
    root: string;
    dir: string;
    uid: number;
    gid: number;
    /** File name → content. */
    files: Record<string, string>;
  } | null;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

function secretPath(dir: string, name: string): string {
  if (!FILE_NAME.test(name)) throw new Error(`unsafe file name: ${JSON.stringify(name)}`);
  return `${path(dir)}/${name}`;
}
const FILE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
// A volume of a few million files is walked (stat only) in seconds; chown is run only on what differs.
const TIMEOUT_MS = 600_000;

function path(p: string): string {
  if (typeof p !== 'string' || !SAFE_PATH.test(p) || p.split('/').some((s) => s === '..' || s === '.'))
    throw new Error(`unsafe path: ${JSON.stringify(p)}`);
  return p;
}

function id(n: number): string {
  // Never 0: the point is that the engine is not root.
  if (!Number.isInteger(n) || n < 1 || n >= 2 ** 31) throw new Error(`unsafe uid/gid: ${JSON.stringify(n)}`);
  return String(n);
}

export const prepareCmd = {
  /**
   * Every entry of the volume that is not `uid:gid` becomes so: idempotent (nothing runs once all is owned), `-h` so a
   * symlink is changed itself and never what it points to, `-xdev` so nothing mounted inside is walked.
   */
  ownVolume: (volume: string, uid: number, gid: number) => {
    const [u, g] = [id(uid), id(gid)];
    return [
      'find',
      path(volume),
      '-xdev',
      '(',
      '!',
      '-uid',
      u,
      '-o',
      '!',
      '-gid',
      g,
      ')',
      '-exec',
      'chown',
      '-h',
      `${u}:${g}`,
      '{}',
      '+',
    ];
  },
  secretsRoot: (root: string) => ['install', '-d', '-m', '0700', '--', path(root)],
  secretsDir: (dir: string, uid: number, gid: number) => [
    'install',
    '-d',
    '-m',
    '0700',
    '-o',
    id(uid),
    '-g',
    id(gid),
    '--',
    path(dir),
  ],
  /**
   * The content comes on stdin (a password is never an argument: ps would show it), read by dd: a program's stdin
   * may be a socket, which `install /dev/stdin` cannot open. The directory is the engine user's, 0700: nobody else
   * sees the file before its mode and owner are set.
   */
  secretFile: (dir: string, name: string) => ['dd', `of=${secretPath(dir, name)}`, 'status=none'],
  secretFileOwner: (dir: string, name: string, uid: number, gid: number) => [
    'chown',
    `${id(uid)}:${id(gid)}`,
    '--',
    secretPath(dir, name),
  ],
  secretFileMode: (dir: string, name: string) => ['chmod', '0600', '--', secretPath(dir, name)],
  /** Atomic within the directory: a reader sees the old file or the new one, never a part of either. */
  renameOver: (dir: string, from: string, to: string) => [
    'mv',
    '-f',
    '-T',
    '--',
    secretPath(dir, from),
    secretPath(dir, to),
  ],
};

/** The name a replacement is written under before it is renamed over `name`. */
const nextName = (name: string) => `${name}_next`;

async function run(exec: CommandExecutor, step: string, argv: string[], input?: string): Promise<void> {
  const secrets = input === undefined ? [] : [input];
  const res = await exec.run(argv, { timeoutMs: TIMEOUT_MS, ...(input === undefined ? {} : { input }), secrets });
  if (res.exitCode !== 0)
    throw new Error(
      `${step}: ${argv[0]} exited with ${res.exitCode}: ${res.stderr.trim().split('\n')[0]?.slice(0, 300)}`,
    );
}

/** Makes the host ready for the container: idempotent, so any start may run it again. */
export async function prepareHost(exec: CommandExecutor, prep: HostPreparation): Promise<void> {
  const { volume, secrets } = prep;
  // Built first, whoever runs them: building checks every path, id and name (the helper checks them again).
  const steps: [step: string, argv: string[], input?: string][] = [
    ['volume owner', prepareCmd.ownVolume(volume.path, volume.uid, volume.gid)],
  ];
  if (secrets) {
    steps.push(['secrets directory', prepareCmd.secretsRoot(secrets.root)]);
    steps.push(['secrets directory', prepareCmd.secretsDir(secrets.dir, secrets.uid, secrets.gid)]);
    for (const [name, content] of Object.entries(secrets.files))
      steps.push(
        ['password file', prepareCmd.secretFile(secrets.dir, name), content],
        ['password file', prepareCmd.secretFileOwner(secrets.dir, name, secrets.uid, secrets.gid)],
        ['password file', prepareCmd.secretFileMode(secrets.dir, name)],
      );
  }
  // One round trip with the host helper; one command per step (a dozen) without it.
  const helped = await runHostHelper(exec, 'prepare', prep, {
    timeoutMs: TIMEOUT_MS,
    secrets: secrets ? Object.values(secrets.files) : [],
  });
  if (helped) return;
  for (const [step, argv, input] of steps) await run(exec, step, argv, input);
}

/**
 * Before its volume is mounted (a takeover): what lets the container be created already, by the host helper in one
 * round trip: a guard under the mount point (`mount`/data, an empty file the volume hides once mounted; a start
 * without the volume fails on it instead of initialising an empty database) and the password and TLS files. False
 * when the host's helper cannot (absent or older): the container is then made once the volume is there.
 */
export async function stageHost(
  exec: CommandExecutor,
  mount: string,
  secrets: HostPreparation['secrets'],
): Promise<{ hostPath: string; mount: 'guarded' | 'mounted' } | null> {
  return runHostHelper<{ hostPath: string; mount: 'guarded' | 'mounted' }>(
    exec,
    'stage',
    { mount: path(mount), secrets },
    { timeoutMs: TIMEOUT_MS, secrets: secrets ? Object.values(secrets.files) : [] },
  );
}

/**
 * Replaces files in a database's secrets directory while its container runs (a renewed certificate): each is written
 * under another name, made the engine user's and 0600, then renamed over the old one. Idempotent.
 */
export async function replaceFiles(
  exec: CommandExecutor,
  target: { root: string; dir: string; uid: number; gid: number; files: Record<string, string> },
): Promise<void> {
  await run(exec, 'secrets directory', prepareCmd.secretsRoot(target.root));
  await run(exec, 'secrets directory', prepareCmd.secretsDir(target.dir, target.uid, target.gid));
  for (const [name, content] of Object.entries(target.files)) {
    const next = nextName(name);
    await run(exec, 'file', prepareCmd.secretFile(target.dir, next), content);
    await run(exec, 'file', prepareCmd.secretFileOwner(target.dir, next, target.uid, target.gid));
    await run(exec, 'file', prepareCmd.secretFileMode(target.dir, next));
    await run(exec, 'file', prepareCmd.renameOver(target.dir, next, name));
  }
}

/** Removes a database's password files from a host (deleted, or moved away). */
export function removeSecretsCmd(dir: string): string[] {
  return ['rm', '-rf', '--one-file-system', '--', path(dir)];
}
