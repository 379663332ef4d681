import type { EngineName } from '@app/persistence/entities';

export interface EngineContext {
  username: string;
  password: string;
  dbName: string;
  adminPassword: string | null;
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
  env(ctx: EngineContext): Record<string, string>;
  cmd(ctx: EngineContext): string[] | undefined;
  uri(ctx: EngineContext, host: string, port: number): string;
}

const enc = encodeURIComponent;
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
    needsAdminPassword: false,
    rotation: 'in-database',
    fixedUsername: null,
    // PGDATA in a subdirectory: a filesystem's root (lost+found) is not an empty directory to initdb.
    env: (c) => ({
      POSTGRES_USER: c.username,
      POSTGRES_PASSWORD: c.password,
      POSTGRES_DB: c.dbName,
      PGDATA: '/var/lib/postgresql/data/pgdata',
    }),
    cmd: () => undefined,
    uri: (c, h, p) => `postgresql://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}`,
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
    env: (c) => ({
      MYSQL_ROOT_PASSWORD: c.adminPassword ?? '',
      MYSQL_USER: c.username,
      MYSQL_PASSWORD: c.password,
      MYSQL_DATABASE: c.dbName,
    }),
    cmd: () => undefined,
    uri: (c, h, p) => `mysql://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}`,
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
    env: (c) => ({
      MARIADB_ROOT_PASSWORD: c.adminPassword ?? '',
      MARIADB_USER: c.username,
      MARIADB_PASSWORD: c.password,
      MARIADB_DATABASE: c.dbName,
    }),
    cmd: () => undefined,
    uri: (c, h, p) => `mysql://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}`,
  },
  redis: {
    name: 'redis',
    image: 'library/redis',
    versions: ['7.0', '7.2'],
    defaultVersion: '7.0',
    containerPort: 6379,
    dataDir: '/data',
    needsAdminPassword: false,
    // Redis keeps no password in its data: the new one is given to a new container on the same volume.
    rotation: 'recreate',
    fixedUsername: 'default',
    env: () => ({}),
    cmd: (c) => ['redis-server', '--requirepass', c.password, '--appendonly', 'yes', '--dir', '/data'],
    uri: (c, h, p) => `redis://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/0`,
  },
  mongodb: {
    name: 'mongodb',
    image: 'library/mongo',
    versions: ['7.0', '8.0'],
    defaultVersion: '7.0',
    containerPort: 27017,
    dataDir: '/data/db',
    needsAdminPassword: false,
    rotation: 'in-database',
    fixedUsername: null,
    env: (c) => ({
      MONGO_INITDB_ROOT_USERNAME: c.username,
      MONGO_INITDB_ROOT_PASSWORD: c.password,
      MONGO_INITDB_DATABASE: c.dbName,
    }),
    cmd: () => undefined,
    uri: (c, h, p) => `mongodb://${enc(c.username)}:${enc(c.password)}@${h6(h)}:${p}/${enc(c.dbName)}?authSource=admin`,
  },
};

export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

/** `name` → a SQL-safe identifier: names are `[a-z][a-z0-9-]*`, so `-` is the only character to replace. */
export function identifierFor(name: string): string {
  return name.replace(/-/g, '_');
}

/** Full image reference, through the configured registry when there is one. */
export function imageRef(def: EngineDefinition, version: string, registry?: string): string {
  const path = `${def.image}:${version}`;
  return registry ? `${registry.replace(/\/$/, '')}/${path}` : `docker.io/${path}`;
}
