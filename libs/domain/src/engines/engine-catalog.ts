import { createHash } from 'node:crypto';
import type { EngineName, PrivilegeModel, TlsMode } from '@app/persistence/entities';
import type { EngineLogin } from '../ports';

export interface EngineContext {
  username: string;
  password: string;
  dbName: string;
  adminPassword: string | null;
  /** Absent: `owner` (the tenant owns its database; the platform keeps the admin account). */
  privilegeModel?: PrivilegeModel;
  /** The database's TLS mode: the server is given the platform's certificate files. Absent: clear text only. */
  tls?: TlsMode;
}

/** The platform's own account in PostgreSQL, Redis and MongoDB (MySQL and MariaDB: root); never a tenant's name. */
export const PLATFORM_ADMIN = 'dbaas_admin';

/** A tmpfs the engine writes outside its data (the image's root is read-only): where, its mode, its size. */
export interface EngineTmpfs {
  path: string;
  mode: string;
  sizeMb: number;
}

/**
 * How the engine's container is confined. It starts as the image's own engine user (`uid`:`gid`, 999 in the official
 * images and ours), so the entrypoint never runs as root: no chown, no gosu, and no capability is left after
 * dropping them all (`capAdd` lists what the engine would still need). The host makes the volume that user's first.
 */
export interface EngineSandbox {
  uid: number;
  gid: number;
  capAdd: string[];
  /** The image's root filesystem read-only; `tmpfs` are the paths the engine still writes outside its volume. */
  readOnlyRoot: boolean;
  tmpfs: EngineTmpfs[];
}

/** Where the password files are mounted (read-only) in every container; the official images read `<VAR>_FILE`. */
export const SECRETS_MOUNT = '/run/secrets/dbaas';

/** The server certificate, its key and the CA, as files beside the passwords (their names there). */
export const TLS_FILE = { cert: 'tls_cert', key: 'tls_key', ca: 'tls_ca' } as const;
const inMount = (file: string) => `${SECRETS_MOUNT}/${file}`;
/** What the credentials' URIs name as the CA file: `GET /v1/ca.pem` saved under this name. */
export const CA_FILE_NAME = 'dbaas-ca.pem';

export interface ServerTlsPem {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** How an engine serves TLS. */
export interface EngineTls {
  /** Whether the endpoint speaks TLS in this mode (Redis cannot serve TLS and clear text on one port). */
  offered(mode: TlsMode): boolean;
  /** Files besides the certificate, key and CA, by file name (e.g. PostgreSQL's pg_hba for the mode). */
  extraFiles(mode: TlsMode, pem: ServerTlsPem): Record<string, string>;
}

export interface EngineInitFile {
  /** Its name among the database's password files on the host. */
  name: string;
  containerPath: string;
  content: string;
}

export interface EngineDefinition {
  name: EngineName;
  /** Repository on Docker Hub (official images); a configured registry mirrors the same path. */
  image: string;
  versions: string[];
  defaultVersion: string;
  containerPort: number;
  /** Where the engine keeps its data inside the container: the volume is bound here. */
  dataDir: string;
  /** Whether the engine needs a separate admin password (kept by the platform, never shown). */
  needsAdminPassword: boolean;
  /** How a password rotation takes effect: in the running database's data, or by recreating the container. */
  rotation: 'in-database' | 'recreate';
  /** Username the tenant gets; `null` means derived from the database name. */
  fixedUsername: string | null;
  /** The platform's admin account (readiness, rotation, upgrades), with the sealed admin password. */
  adminUsername: string;
  /** Where the admin logs in (null: the engine's default). */
  adminDatabase: string | null;
  /** Account names a tenant's database name may not map to (the engine's own and the platform's). */
  reservedUsernames: string[];
  /** Prefixes of account names the engine keeps for itself (PostgreSQL refuses to create a role named pg_…). */
  reservedUsernamePrefixes?: string[];
  sandbox: EngineSandbox;
  /** The environment without any password. */
  env(ctx: EngineContext): Record<string, string>;
  /**
   * The passwords the image's entrypoint reads at its first start, by variable name: each is written to a file and
   * the container gets `<VAR>_FILE` naming it (the official images' convention), never the value in its env.
   */
  secrets(ctx: EngineContext): Record<string, string>;
  cmd(ctx: EngineContext): string[] | undefined;
  /**
   * Scripts the image's entrypoint runs once, when it initialises an empty data directory (the official images'
   * /docker-entrypoint-initdb.d): each is written with the password files and mounted read-only at `containerPath`.
   */
  initFiles?(ctx: EngineContext): EngineInitFile[];
  /** The tenant's connection URI; with `ctx.tls`, with the settings that verify the server (CA_FILE_NAME). */
  uri(ctx: EngineContext, host: string, port: number): string;
  tls: EngineTls;
}

const enc = encodeURIComponent;
const required = (c: EngineContext) => c.tls === 'required';
const NO_EXTRA_FILES = () => ({});

/**
 * PostgreSQL's client authentication, kept by the platform (the data's own pg_hba.conf is not read): trust on the
 * container's socket, passwords (SCRAM) over TCP; `required` takes TCP connections over TLS only (`hostssl`).
 */
export function pgHba(mode: TlsMode): string {
  const tcp = mode === 'required' ? 'hostssl' : 'host';
  return `local all all trust\n${tcp} all all all scram-sha-256\n`;
}
const pgHbaFile = (mode: TlsMode) => `pg_hba_${mode}`;

/** SQL quoting (standard_conforming_strings, on since PostgreSQL 9.1): doubled quotes, nothing else special. */
const pgIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const pgLiteral = (s: string) => {
  if (s.includes('\0')) throw new Error('a NUL byte cannot go in a PostgreSQL string');
  return `'${s.replace(/'/g, "''")}'`;
};

/** What the tenant's PostgreSQL role may do; CREATEDB: more databases of its own (test suites make them). */
export const PG_TENANT_ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS CREATEDB INHERIT';

// The database initdb makes (and the owner model's POSTGRES_DB, so that the entrypoint makes no other).
const PG_INITDB_DATABASE = 'postgres';

/**
 * The tenant's owner role and its database at the first start, as the control plane makes them (pgApplyOwnerModel):
 * run by the entrypoint as initdb's superuser, in one psql session (the entrypoint's own CREATE DATABASE would be a
 * second: POSTGRES_DB is `postgres`, which it leaves alone). A failed statement is kept out of the server log (it
 * would hold the password).
 */
export function pgTenantInit(c: EngineContext): string {
  const role = pgIdent(c.username);
  const db = pgIdent(c.dbName);
  return [
    'SET log_min_error_statement = panic;',
    `CREATE ROLE ${role} WITH ${PG_TENANT_ROLE_ATTRIBUTES} PASSWORD ${pgLiteral(c.password)};`,
    // initdb made `postgres`: a tenant database of that name is handed over rather than made.
    c.dbName === PG_INITDB_DATABASE ? `ALTER DATABASE ${db} OWNER TO ${role};` : `CREATE DATABASE ${db} OWNER ${role};`,
    '',
  ].join('\n');
}
const TMP: EngineTmpfs = { path: '/tmp', mode: '1777', sizeMb: 64 };
// Run here (scripts/images) as the platform runs them: uid 999, no capability, read-only root with these tmpfs.
const CHECKED = (tmpfs: EngineTmpfs[]): EngineSandbox => ({
  uid: 999,
  gid: 999,
  capAdd: [],
  readOnlyRoot: true,
  tmpfs,
});
// The official mysql and mongo images start as any user that owns the data directory (their documentation's
// `--user`), but were not run with a read-only root here (no such image on this platform's registry): left writable.
const UNCHECKED: EngineSandbox = { uid: 999, gid: 999, capAdd: [], readOnlyRoot: false, tmpfs: [] };
/** IPv6 addresses go in brackets inside a URI. */
const h6 = (host: string) => (host.includes(':') ? `[${host}]` : host);

export const ENGINES: Record<EngineName, EngineDefinition> = {
  postgresql: {
    name: 'postgresql',
    image: 'library/postgres',
    versions: ['15', '16', '17'],
    defaultVersion: '15',
    containerPort: 5432,
    dataDir: '/var/lib/postgresql/data',
    needsAdminPassword: true,
    rotation: 'in-database',
    fixedUsername: null,
    adminUsername: PLATFORM_ADMIN,
    adminDatabase: 'postgres',
    reservedUsernames: [PLATFORM_ADMIN, 'dbaas_migrate'],
    reservedUsernamePrefixes: ['pg_'],
    // PGDATA in a subdirectory: a filesystem's root (lost+found) is not an empty directory to initdb.
    // initdb's superuser is the platform's admin; the tenant's owner role is made by the control plane once the
    // server answers (the legacy model's superuser was the tenant: kept only so its container stays the same).
    // The socket and lock file go to /var/run/postgresql; the entrypoint's password file for initdb to /tmp.
    sandbox: CHECKED([{ path: '/var/run/postgresql', mode: '2775', sizeMb: 16 }, TMP]),
    env: (c) => ({
      POSTGRES_USER: isLegacy(c) ? c.username : PLATFORM_ADMIN,
      // The owner model's database is made by the init SQL with the tenant's role (pgTenantInit).
      POSTGRES_DB: isLegacy(c) ? c.dbName : PG_INITDB_DATABASE,
      PGDATA: '/var/lib/postgresql/data/pgdata',
    }),
    secrets: (c) => ({ POSTGRES_PASSWORD: isLegacy(c) ? c.password : adminPassword(c) }),
    // The tenant's owner role is made with the database, so the tenant logs in from the server's first "ready" on
    // (the control plane then checks it, as for any database). Not for the legacy model: its tenant is initdb's.
    initFiles: (c) =>
      isLegacy(c)
        ? []
        : [
            {
              name: 'tenant_init',
              containerPath: '/docker-entrypoint-initdb.d/50-dbaas-tenant.sql',
              content: pgTenantInit(c),
            },
          ],
    // TLS 1.2 at least; the certificate and key are read again on a reload (pg_reload_conf), as is pg_hba.
    cmd: (c) =>
      c.tls
        ? [
            'postgres',
            '-c',
            'ssl=on',
            '-c',
            `ssl_cert_file=${inMount(TLS_FILE.cert)}`,
            '-c',
            `ssl_key_file=${inMount(TLS_FILE.key)}`,
            '-c',
            'ssl_min_protocol_version=TLSv1.2',
            '-c',
            `hba_file=${inMount(pgHbaFile(c.tls))}`,
          ]
        : undefined,
    uri: (c, h, p) =>
      `postgresql://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}` +
      (required(c) ? `?sslmode=verify-full&sslrootcert=${CA_FILE_NAME}` : ''),
    tls: { offered: () => true, extraFiles: (mode) => ({ [pgHbaFile(mode)]: pgHba(mode) }) },
  },
  mysql: {
    name: 'mysql',
    image: 'library/mysql',
    versions: ['8.0', '8.4'],
    defaultVersion: '8.4',
    containerPort: 3306,
    dataDir: '/var/lib/mysql',
    needsAdminPassword: true,
    rotation: 'in-database',
    fixedUsername: null,
    adminUsername: 'root',
    adminDatabase: null,
    reservedUsernames: ['root', 'mysql', PLATFORM_ADMIN],
    sandbox: UNCHECKED,
    env: (c) => ({ MYSQL_USER: c.username, MYSQL_DATABASE: c.dbName }),
    secrets: (c) => ({ MYSQL_ROOT_PASSWORD: c.adminPassword ?? '', MYSQL_PASSWORD: c.password }),
    cmd: (c) => mysqlTlsCmd('mysqld', c),
    uri: mysqlUri,
    tls: { offered: () => true, extraFiles: NO_EXTRA_FILES },
  },
  mariadb: {
    name: 'mariadb',
    image: 'library/mariadb',
    versions: ['10.11', '11.4'],
    defaultVersion: '10.11',
    containerPort: 3306,
    dataDir: '/var/lib/mysql',
    needsAdminPassword: true,
    rotation: 'in-database',
    fixedUsername: null,
    adminUsername: 'root',
    adminDatabase: null,
    reservedUsernames: ['root', 'mysql', 'mariadb.sys', PLATFORM_ADMIN],
    // The socket and pid file go to /run/mysqld; temporary tables of big sorts to /tmp (tmpdir), in memory: 256 MiB.
    sandbox: CHECKED([
      { path: '/run/mysqld', mode: '0755', sizeMb: 16 },
      { ...TMP, sizeMb: 256 },
    ]),
    env: (c) => ({ MARIADB_USER: c.username, MARIADB_DATABASE: c.dbName }),
    secrets: (c) => ({ MARIADB_ROOT_PASSWORD: c.adminPassword ?? '', MARIADB_PASSWORD: c.password }),
    cmd: (c) => mysqlTlsCmd('mariadbd', c),
    uri: mysqlUri,
    tls: { offered: () => true, extraFiles: NO_EXTRA_FILES },
  },
  redis: {
    name: 'redis',
    image: 'library/redis',
    versions: ['7.0', '7.2'],
    defaultVersion: '7.0',
    containerPort: 6379,
    dataDir: '/data',
    needsAdminPassword: true,
    // Redis keeps no password in its data: the new one is given to a new container on the same volume.
    rotation: 'recreate',
    // The tenant is Redis's `default` user (what `AUTH <password>` logs in as), without the admin commands.
    fixedUsername: 'default',
    adminUsername: PLATFORM_ADMIN,
    adminDatabase: null,
    reservedUsernames: [],
    // Redis writes nothing outside /data; /tmp for whatever a shell in the container may need.
    sandbox: CHECKED([TMP]),
    env: () => ({}),
    // Its users are on the command line, with hashed passwords.
    secrets: () => ({}),
    cmd: (c) =>
      isLegacy(c)
        ? ['redis-server', '--requirepass', c.password, '--appendonly', 'yes', '--dir', '/data', ...redisTls(c)]
        : ['redis-server', '--appendonly', 'yes', '--dir', '/data', ...redisAcl(c), ...redisTls(c)],
    uri: (c, h, p) => `${required(c) ? 'rediss' : 'redis'}://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/0`,
    // One port speaks TLS or clear text, not both: `preferred` keeps the clear-text port of before.
    tls: { offered: (mode) => mode === 'required', extraFiles: NO_EXTRA_FILES },
  },
  mongodb: {
    name: 'mongodb',
    image: 'library/mongo',
    versions: ['7.0', '8.0'],
    defaultVersion: '7.0',
    containerPort: 27017,
    dataDir: '/data/db',
    needsAdminPassword: true,
    rotation: 'in-database',
    fixedUsername: null,
    adminUsername: PLATFORM_ADMIN,
    adminDatabase: 'admin',
    reservedUsernames: [PLATFORM_ADMIN],
    // The init's root user is the platform's admin; the tenant's user (in `admin`, dbOwner of its database only) is
    // made by the control plane once the server answers.
    sandbox: UNCHECKED,
    env: (c) => ({
      MONGO_INITDB_ROOT_USERNAME: isLegacy(c) ? c.username : PLATFORM_ADMIN,
      MONGO_INITDB_DATABASE: c.dbName,
    }),
    secrets: (c) => ({ MONGO_INITDB_ROOT_PASSWORD: isLegacy(c) ? c.password : adminPassword(c) }),
    // mongod reads the certificate and its key from one file; `rotateCertificates` reads it again.
    cmd: (c) =>
      c.tls
        ? [
            'mongod',
            '--tlsMode',
            c.tls === 'required' ? 'requireTLS' : 'preferTLS',
            '--tlsCertificateKeyFile',
            inMount(MONGO_PEM),
          ]
        : undefined,
    uri: (c, h, p) =>
      `mongodb://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}?authSource=admin` +
      (required(c) ? `&tls=true&tlsCAFile=${CA_FILE_NAME}` : ''),
    tls: {
      offered: () => true,
      extraFiles: (_mode, pem) => ({ [MONGO_PEM]: `${pem.certPem.trim()}\n${pem.keyPem.trim()}\n` }),
    },
  },
};

export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

const MONGO_PEM = 'tls_pem';

/** MySQL and MariaDB: the server's certificate and key; `required` refuses clear-text connections. */
function mysqlTlsCmd(server: 'mysqld' | 'mariadbd', c: EngineContext): string[] | undefined {
  if (!c.tls) return undefined;
  return [
    server,
    `--ssl-cert=${inMount(TLS_FILE.cert)}`,
    `--ssl-key=${inMount(TLS_FILE.key)}`,
    ...(c.tls === 'required' ? ['--require-secure-transport=ON'] : []),
  ];
}

function mysqlUri(c: EngineContext, h: string, p: number): string {
  return (
    `mysql://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}` +
    (required(c) ? `?ssl-mode=VERIFY_IDENTITY&ssl-ca=${CA_FILE_NAME}` : '')
  );
}

/** Redis `required`: the port speaks TLS only (`--port 0`); clients are not asked for certificates. */
function redisTls(c: EngineContext): string[] {
  if (c.tls !== 'required') return [];
  return [
    '--port',
    '0',
    '--tls-port',
    '6379',
    '--tls-cert-file',
    inMount(TLS_FILE.cert),
    '--tls-key-file',
    inMount(TLS_FILE.key),
    '--tls-ca-cert-file',
    inMount(TLS_FILE.ca),
    '--tls-auth-clients',
    'no',
  ];
}

/** Every file of a database's TLS, by file name, for its mode. */
export function tlsFiles(def: EngineDefinition, mode: TlsMode, pem: ServerTlsPem): Record<string, string> {
  return {
    [TLS_FILE.cert]: pem.certPem,
    [TLS_FILE.key]: pem.keyPem,
    [TLS_FILE.ca]: pem.caPem,
    ...def.tls.extraFiles(mode, pem),
  };
}

/** The paths, in the container, of the certificate and key files the engine reads (for a reload). */
export function tlsPaths(def: EngineDefinition): { cert: string; key: string } {
  return def.name === 'mongodb'
    ? { cert: inMount(MONGO_PEM), key: inMount(MONGO_PEM) }
    : { cert: inMount(TLS_FILE.cert), key: inMount(TLS_FILE.key) };
}

function isLegacy(c: EngineContext): boolean {
  return c.privilegeModel === 'legacy';
}

function adminPassword(c: EngineContext): string {
  if (!c.adminPassword) throw new Error('no admin password for a database of the owner model');
  return c.adminPassword;
}

/**
 * What the tenant's Redis user may not run: the server's configuration, persistence, replication, shutdown, modules,
 * ACLs, other clients' connections (@admin), and the @dangerous commands that reach outside its data (MIGRATE) or
 * load raw payloads (RESTORE). The @dangerous commands that only read or clear its own data stay.
 */
export const REDIS_TENANT_RULES = [
  '+@all',
  '-@admin',
  '-@dangerous',
  '+info',
  '+keys',
  '+sort',
  '+sort_ro',
  '+flushdb',
  '+flushall',
];

/**
 * The ACL users on redis-server's command line, with SHA-256 hashes of the passwords (`#<hex>`) so that no
 * password is in the container's definition (`docker inspect`): `default` is the tenant's, `dbaas_admin` the
 * platform's. The passwords are 32+ random characters, out of reach of a guess from their hash.
 */
function redisAcl(c: EngineContext): string[] {
  const hash = (pw: string) => '#' + createHash('sha256').update(pw).digest('hex');
  return [
    '--user',
    'default',
    'reset',
    'on',
    hash(c.password),
    '~*',
    '&*',
    ...REDIS_TENANT_RULES,
    '--user',
    PLATFORM_ADMIN,
    'reset',
    'on',
    hash(adminPassword(c)),
    '~*',
    '&*',
    '+@all',
  ];
}

/** How the platform logs in: its admin account; under the legacy model, PostgreSQL, Redis and MongoDB had none. */
export function platformLogin(def: EngineDefinition, c: EngineContext): EngineLogin {
  if (isLegacy(c) && def.adminUsername === PLATFORM_ADMIN) return tenantLogin(c);
  return { username: def.adminUsername, password: adminPassword(c), database: def.adminDatabase };
}

/** The platform's admin login (whatever the model). */
export function adminLogin(def: EngineDefinition, c: EngineContext): EngineLogin {
  return { username: def.adminUsername, password: adminPassword(c), database: def.adminDatabase };
}

export function tenantLogin(c: EngineContext, password = c.password): EngineLogin {
  return { username: c.username, password, database: c.dbName };
}

/** `name` → a SQL-safe identifier: names are `[a-z][a-z0-9-]*`, so `-` is the only character to replace. */
export function identifierFor(name: string): string {
  return name.replace(/-/g, '_');
}

/** Full image reference, through the configured registry when there is one. */
export function imageRef(def: EngineDefinition, version: string, registry?: string): string {
  const path = `${def.image}:${version}`;
  return registry ? `${registry.replace(/\/$/, '')}/${path}` : `docker.io/${path}`;
}
