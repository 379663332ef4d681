import type {
  Accepted,
  ActivateResult,
  AllowListAccepted,
  ApiErrorBody,
  ApiKey,
  AuditEntry,
  DatabaseDetail,
  DatabaseView,
  FailoverView,
  FenceResult,
  HostDetail,
  HostListItem,
  HostLoss,
  IssuedApiKey,
  Logs,
  MoveAwayResult,
  OperationStatus,
  OperationView,
  Overview,
  FleetAlarm,
  PlacementSettings,
  RebalanceProposal,
  RebalanceResult,
  Storage,
  Tenant,
  TlsMode,
} from './types';

export type * from './types';

/** A non-2xx answer, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

let currentKey: string | null = null;
let onAuthLost: ((status: number) => void) | null = null;

/** The key every call carries, and what to do when the API stops accepting it (back to sign-in). */
export function configureClient(key: string | null, authLost: ((status: number) => void) | null): void {
  currentKey = key;
  onAuthLost = authLost;
}

interface RequestOptions {
  body?: unknown;
  /** Sign-in checks a candidate key: its 401/403 is the answer, not a lost session. */
  key?: string;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const key = opts.key ?? currentKey;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The API did not answer (network error)');
  }
  if (!res.ok) {
    const err = new ApiError(res.status, await errorMessage(res));
    if (err.isAuth && !opts.key) onAuthLost?.(res.status);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as Partial<ApiErrorBody>;
    const m = body.message;
    if (Array.isArray(m)) return m.join('; ');
    if (typeof m === 'string' && m) return m;
    return body.error ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status} ${res.statusText}`.trim();
  }
}

/** Drops empty filters so the API's validation only sees what the operator chose. */
function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

export interface DatabaseFilter {
  tenantId?: string;
  hostId?: string;
  status?: string;
  engine?: string;
}

export const api = {
  checkKey: (key: string) => request<Overview>('GET', '/admin/v1/overview', { key }),
  overview: () => request<Overview>('GET', '/admin/v1/overview'),
  fleetAlarm: () => request<FleetAlarm>('GET', '/admin/v1/fleet/alarm'),

  hosts: () => request<HostListItem[]>('GET', '/admin/v1/hosts'),
  host: (id: string) => request<HostDetail>('GET', `/admin/v1/hosts/${seg(id)}`),
  drain: (id: string) => request<MoveAwayResult>('POST', `/admin/v1/hosts/${seg(id)}/drain`, { body: {} }),
  evacuate: (id: string) => request<MoveAwayResult>('POST', `/admin/v1/hosts/${seg(id)}/evacuate`, { body: {} }),
  fence: (id: string, confirm: string, poweredOff: boolean) =>
    request<FenceResult>('POST', `/admin/v1/hosts/${seg(id)}/fence`, {
      body: poweredOff ? { confirm, poweredOff } : { confirm },
    }),
  activate: (id: string) => request<ActivateResult>('POST', `/admin/v1/hosts/${seg(id)}/activate`, { body: {} }),

  databases: (f: DatabaseFilter) => request<DatabaseView[]>('GET', `/admin/v1/databases${query({ ...f })}`),
  database: (id: string) => request<DatabaseDetail>('GET', `/admin/v1/databases/${seg(id)}`),
  logs: (id: string, tail = 200) => request<Logs>('GET', `/admin/v1/databases/${seg(id)}/logs${query({ tail })}`),
  failover: (id: string, targetHostId?: string) =>
    request<FailoverView>('POST', `/admin/v1/databases/${seg(id)}/failover`, {
      body: targetHostId ? { targetHostId } : {},
    }),
  move: (id: string, targetHostId?: string) =>
    request<Accepted>('POST', `/admin/v1/databases/${seg(id)}/move`, { body: targetHostId ? { targetHostId } : {} }),

  setAllowedCidrs: (id: string, allowedCidrs: string[]) =>
    request<AllowListAccepted>('PUT', `/admin/v1/databases/${seg(id)}/allowed-cidrs`, { body: { allowedCidrs } }),
  setTls: (id: string, mode: TlsMode) =>
    request<Accepted>('PUT', `/admin/v1/databases/${seg(id)}/tls`, { body: { mode } }),
  storage: () => request<Storage>('GET', '/admin/v1/storage'),

  operations: (status?: OperationStatus) => request<OperationView[]>('GET', `/admin/v1/operations${query({ status })}`),
  retry: (id: string) => request<Accepted>('POST', `/admin/v1/operations/${seg(id)}/retry`, { body: {} }),

  failovers: () => request<FailoverView[]>('GET', '/admin/v1/failovers'),

  tenants: () => request<Tenant[]>('GET', '/admin/v1/tenants'),
  createTenant: (name: string) => request<Tenant>('POST', '/admin/v1/tenants', { body: { name } }),
  apiKeys: (tenantId: string) => request<ApiKey[]>('GET', `/admin/v1/tenants/${seg(tenantId)}/api-keys`),
  issueKey: (tenantId: string, name: string) =>
    request<IssuedApiKey>('POST', `/admin/v1/tenants/${seg(tenantId)}/api-keys`, { body: { name } }),
  revokeKey: (tenantId: string, keyId: string) =>
    request<void>('DELETE', `/admin/v1/tenants/${seg(tenantId)}/api-keys/${seg(keyId)}`),

  audit: (limit = 200) => request<AuditEntry[]>('GET', `/admin/v1/audit${query({ limit })}`),

  placementSettings: () => request<PlacementSettings>('GET', '/admin/v1/placement/settings'),
  nPlusOne: () => request<HostLoss[]>('GET', '/admin/v1/placement/n-plus-one'),
  rebalance: () => request<RebalanceProposal>('GET', '/admin/v1/placement/rebalance'),
  applyRebalance: (moves: { databaseId: string; targetHostId: string }[]) =>
    request<RebalanceResult>('POST', '/admin/v1/placement/rebalance', { body: { moves } }),
};
