/** open-iscsi (iscsiadm) command builders and output parsers, for the database hosts (initiators). */
const IQN = /^iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[A-Za-z0-9._:-]+)?$/;
const PORTAL = /^[0-9a-fA-F.:[\]]+:\d{1,5}$/;

export function iqn(value: string): string {
  if (!IQN.test(value) || value.length > 223) throw new Error(`invalid iSCSI name: ${JSON.stringify(value)}`);
  return value;
}

export function portal(value: string): string {
  const port = Number(value.split(':').pop());
  if (!PORTAL.test(value) || port < 1 || port > 65535)
    throw new Error(`invalid iSCSI portal: ${JSON.stringify(value)}`);
  return value;
}

const node = (target: string, p: string) => ['iscsiadm', '-m', 'node', '-T', iqn(target), '-p', portal(p)];

export const iscsiCmd = {
  discover: (p: string) => ['iscsiadm', '-m', 'discovery', '-t', 'st', '-p', portal(p)],
  /** Sets one node setting (CHAP method, user, password) before login. */
  nodeUpdate: (
    target: string,
    p: string,
    key: 'node.session.auth.authmethod' | 'node.session.auth.username' | 'node.session.auth.password' | 'node.startup',
    value: string,
  ) => [...node(target, p), '-o', 'update', '-n', key, '-v', value],
  login: (target: string, p: string) => [...node(target, p), '--login'],
  logout: (target: string, p: string) => [...node(target, p), '--logout'],
  nodeDelete: (target: string, p: string) => [...node(target, p), '-o', 'delete'],
  rescan: (target: string, p: string) => [...node(target, p), '-R'],
  sessions: () => ['iscsiadm', '-m', 'session', '-P', '3'],
};

/** iscsiadm exit codes the idempotent steps accept. */
export const ISCSI_NO_OBJECTS = 21; // logout/delete/session of something that is not there
export const ISCSI_SESSION_EXISTS = 15; // login while already logged in
export const ISCSI_AUTH_FAILURE = 24;

export interface IscsiSession {
  target: string;
  portal: string;
  state: string | null;
  disk: string | null;
}

/** Parses `iscsiadm -m session -P 3`: one entry per target, with the SCSI disk attached to it (e.g. "sda"). */
export function parseSessions(stdout: string): IscsiSession[] {
  const sessions: IscsiSession[] = [];
  let current: IscsiSession | null = null;
  for (const line of stdout.split('\n')) {
    const target = line.match(/^Target:\s+(\S+)/);
    if (target) {
      current = { target: target[1], portal: '', state: null, disk: null };
      sessions.push(current);
      continue;
    }
    if (!current) continue;
    const p = line.match(/^\s*Current Portal:\s+([^,\s]+)/);
    if (p) current.portal = p[1];
    const state = line.match(/^\s*iSCSI Session State:\s+(\S+)/);
    if (state) current.state = state[1];
    const disk = line.match(/Attached scsi disk\s+(\S+)/);
    if (disk) current.disk = disk[1];
  }
  return sessions;
}

/** Reads `InitiatorName=…` from /etc/iscsi/initiatorname.iscsi. */
export function parseInitiatorName(text: string): string {
  const m = text.match(/^InitiatorName=(\S+)\s*$/m);
  if (!m) throw new Error('no InitiatorName in /etc/iscsi/initiatorname.iscsi');
  return iqn(m[1]);
}
