import type { HostEntity } from '@app/persistence/entities';
import { HostChecks, hostChecks } from './host-checks';
import { fencingView, type FencingView } from './fencing';

export type HostView = Omit<HostEntity, 'sshPrivateKey' | 'fencing'> & {
  hasSshKey: boolean;
  /** The fence agent and its parameters, secret ones as "***". */
  fencing: FencingView | null;
  /** SSH and Docker as last checked, `unknown` when not known (the raw record is `health`). */
  checks: HostChecks;
  databases?: number;
  luns?: number;
};

/** One host in depth, for the console: what runs there, what is attached, what is promised. */
export type HostDetailView = HostView & {
  placed: {
    id: string;
    name: string;
    tenantId: string;
    tenantName: string | null;
    engine: string;
    status: string;
    ha: string;
  }[];
  attachedLuns: {
    id: string;
    name: string;
    iqn: string;
    sizeGb: number;
    hostVg: string;
    backendId: string;
    status: string;
    databaseId: string | null;
  }[];
  usage: { cpus: number; memoryMb: number; diskGb: number };
};

export const toHostView = (h: HostEntity, hasSshKey: boolean): HostView => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sshPrivateKey, fencing, ...rest } = h;
  return { ...rest, fencing: fencingView(fencing), hasSshKey, checks: hostChecks(h) };
};
