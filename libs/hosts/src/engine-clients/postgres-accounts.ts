import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Client as PgClient } from 'pg';
import { PG_TENANT_ROLE_ATTRIBUTES } from '@app/domain/engines';
import type { EngineEndpoint, EngineLogin, OwnerModelRequest, ReadOnlyRequest } from '@app/domain/ports';

// Generous: a refused connection fails at once anyway, while a slow path (an SSH forward to a busy host,
// emulated CPUs) can take seconds to authenticate.
export const CONNECT_TIMEOUT_MS = 10_000;

/** The platform's admin role, and a helper role that exists only while a legacy database is being converted. */
const ADMIN = 'dbaas_admin';
const HELPER = 'dbaas_migrate';
/** The bootstrap superuser (initdb's): it owns the system catalogs and must stay a superuser (PostgreSQL 16+ insists). */
const BOOTSTRAP_OID = 10;
/** Objects with a smaller oid were made by initdb; the tenant's are above (FirstNormalObjectId). */
const FIRST_NORMAL_OID = 16384;
/** What would give a role the server's files or programs (a shell in the container). */
const SERVER_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'];

/**
 * TLS verified against the platform's CA and for the name tenants use (the connection may go to an SSH forward's
 * 127.0.0.1): Node's own name check, against `serverName` instead of the address dialled.
 */
export function tlsOptions(tls: { ca: string; serverName: string }) {
  return {
    ca: tls.ca,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tls.serverName, cert),
  };
}

export async function pgConnect(ep: EngineEndpoint, login: EngineLogin, database?: string): Promise<PgClient> {
  const pg = new PgClient({
    host: ep.host,
    port: ep.port,
    user: login.username,
    password: login.password,
    database: database ?? login.database ?? 'postgres',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(ep.tls ? { ssl: tlsOptions(ep.tls) } : {}),
  });
  pg.on('error', () => undefined);
  try {
    await pg.connect();
  } catch (err) {
    await pg.end().catch(() => undefined);
    throw err;
  }
  return pg;
}

export async function withPg<T>(
  ep: EngineEndpoint,
  login: EngineLogin,
  fn: (pg: PgClient) => Promise<T>,
  database?: string,
): Promise<T> {
  const pg = await pgConnect(ep, login, database);
  try {
    return await fn(pg);
  } finally {
    await pg.end().catch(() => undefined);
  }
}

/** A connection, or null when this login is refused (any other failure is thrown). */
async function tryLogin(ep: EngineEndpoint, login: EngineLogin, database?: string): Promise<PgClient | null> {
  try {
    return await pgConnect(ep, login, database);
  } catch (err) {
    // 28P01: wrong password; 28000: no such role / not allowed to log in.
    const code = (err as { code?: string }).code;
    if (code === '28P01' || code === '28000') return null;
    throw err;
  }
}

const q = (pg: PgClient, id: string) => pg.escapeIdentifier(id);
const lit = (pg: PgClient, s: string) => pg.escapeLiteral(s);

/**
 * The owner model in PostgreSQL: the bootstrap superuser is the platform's `dbaas_admin`; the tenant's role logs in
 * with its password, may create databases, and is no superuser, creates no roles, replicates nothing, bypasses no
 * row security and is in none of the roles that reach the server's files or programs; it owns its database (and,
 * from PostgreSQL 15, thereby its `public` schema).
 *
 * Converting a legacy database (the tenant's role was the bootstrap superuser): demoting the bootstrap superuser is
 * refused from PostgreSQL 16 on, and unsafe before (it still owns the catalogs), so the bootstrap superuser is
 * renamed to `dbaas_admin` with the admin password (through a helper superuser, as no session renames its own
 * role), the tenant's sessions on it are ended, a new role with the tenant's name and password is made, and every
 * object the tenant made (oid above initdb's, not part of an extension) in every database is handed to it. Other
 * roles the superuser tenant made lose SUPERUSER, CREATEROLE, REPLICATION, BYPASSRLS and the server roles. Each step
 * checks what is already done, so a crash anywhere is finished by the next attempt.
 */
export async function pgApplyOwnerModel(ep: EngineEndpoint, req: OwnerModelRequest): Promise<string[]> {
  const notes: string[] = [];
  const convert = req.legacyPasswords !== undefined;
  let admin = await tryLogin(ep, req.admin, 'postgres');
  if (!admin) {
    if (!convert) throw new Error(`the admin role ${req.admin.username} was refused`);
    await makeBootstrapTheAdmin(ep, req, notes);
    admin = await pgConnect(ep, req.admin, 'postgres');
  }
  try {
    await assertBootstrap(admin, req.admin.username);
    if (convert) await admin.query(`DROP ROLE IF EXISTS ${q(admin, HELPER)}`);
    await ensureTenantRole(admin, req.tenant.username, req.tenant.password, notes);
    if (convert) await demoteOtherRoles(admin, req.tenant.username, notes);
    const { rows } = await admin.query<{ datname: string; owner: string }>(
      `SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`,
      [req.tenant.dbName],
    );
    if (!rows[0]) throw new Error(`the database ${req.tenant.dbName} does not exist`);
    if (rows[0].owner !== req.tenant.username)
      await admin.query(`ALTER DATABASE ${q(admin, req.tenant.dbName)} OWNER TO ${q(admin, req.tenant.username)}`);
    if (convert) {
      const dbs = await admin.query<{ datname: string; oid: number; datdba: number; datistemplate: boolean }>(
        `SELECT datname, oid::int AS oid, datdba::int AS datdba, datistemplate FROM pg_database WHERE datallowconn`,
      );
      for (const d of dbs.rows) {
        // Databases the superuser tenant made are its own too (not postgres and the templates, made by initdb).
        if (d.oid >= FIRST_NORMAL_OID && d.datdba === BOOTSTRAP_OID && !d.datistemplate) {
          await admin.query(`ALTER DATABASE ${q(admin, d.datname)} OWNER TO ${q(admin, req.tenant.username)}`);
          notes.push(`database ${d.datname} handed to ${req.tenant.username}`);
        }
        await withPg(ep, req.admin, (pg) => handOver(pg, d.datname, req.tenant.username, notes), d.datname);
      }
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
  return notes;
}

/** Legacy: log in as the tenant's superuser (or the helper left by an interrupted attempt) and rename it. */
async function makeBootstrapTheAdmin(ep: EngineEndpoint, req: OwnerModelRequest, notes: string[]): Promise<void> {
  const helperLogin = { username: HELPER, password: req.admin.password, database: 'postgres' };
  let helper = await tryLogin(ep, helperLogin);
  if (!helper) {
    let legacy: PgClient | null = null;
    for (const password of req.legacyPasswords ?? []) {
      legacy = await tryLogin(ep, { username: req.tenant.username, password, database: 'postgres' });
      if (legacy) break;
    }
    if (!legacy) throw new Error('neither the admin role nor the tenant role of the legacy model answers');
    try {
      const { rows } = await legacy.query<{ rolsuper: boolean }>(
        `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`,
      );
      if (!rows[0]?.rolsuper) throw new Error('the tenant role is no superuser and the admin role does not answer');
      const exists = await legacy.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [HELPER]);
      await legacy.query(
        `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${q(legacy, HELPER)} WITH SUPERUSER LOGIN PASSWORD ${lit(legacy, req.admin.password)}`,
      );
    } finally {
      await legacy.end().catch(() => undefined);
    }
    helper = await pgConnect(ep, helperLogin);
  }
  try {
    const boot = await bootstrapName(helper);
    if (boot !== req.admin.username) {
      const taken = await helper.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [req.admin.username]);
      if (taken.rowCount) throw new Error(`a role named ${req.admin.username} exists already and is not the admin`);
      // Renamed and given the admin password at once: the tenant's password never opens the admin role.
      await helper.query('BEGIN');
      await helper.query(`ALTER ROLE ${q(helper, boot)} RENAME TO ${q(helper, req.admin.username)}`);
      await helper.query(`ALTER ROLE ${q(helper, req.admin.username)} PASSWORD ${lit(helper, req.admin.password)}`);
      await helper.query('COMMIT');
      notes.push(`the superuser ${boot} became ${req.admin.username}`);
    } else {
      await helper.query(
        `ALTER ROLE ${q(helper, req.admin.username)} WITH SUPERUSER LOGIN PASSWORD ${lit(helper, req.admin.password)}`,
      );
    }
    // Sessions opened as the tenant's superuser keep its powers: they end now (the tenant reconnects as its role).
    await helper.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = $1`, [BOOTSTRAP_OID]);
  } finally {
    await helper.end().catch(() => undefined);
  }
}

async function bootstrapName(pg: PgClient): Promise<string> {
  const { rows } = await pg.query<{ rolname: string }>(`SELECT rolname FROM pg_authid WHERE oid = $1`, [BOOTSTRAP_OID]);
  return rows[0].rolname;
}

async function assertBootstrap(admin: PgClient, name: string): Promise<void> {
  if ((await bootstrapName(admin)) !== name) throw new Error(`${name} is not the bootstrap superuser`);
}

async function ensureTenantRole(admin: PgClient, name: string, password: string, notes: string[]): Promise<void> {
  const { rows } = await admin.query<{ rolsuper: boolean; rolcreaterole: boolean }>(
    `SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1`,
    [name],
  );
  await admin.query(
    `${rows[0] ? 'ALTER' : 'CREATE'} ROLE ${q(admin, name)} WITH ${PG_TENANT_ROLE_ATTRIBUTES} PASSWORD ${lit(admin, password)}`,
  );
  if (rows[0]?.rolsuper) notes.push(`${name} is no superuser any more`);
  const granted = await admin.query<{ role: string }>(
    `SELECT r.rolname AS role FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) AND r.rolname = ANY($2)`,
    [name, SERVER_ROLES],
  );
  for (const { role } of granted.rows) {
    await admin.query(`REVOKE ${q(admin, role)} FROM ${q(admin, name)}`);
    notes.push(`${name} left ${role}`);
  }
}

/** Legacy: roles the superuser tenant made lose what could make them superusers again. */
async function demoteOtherRoles(admin: PgClient, tenant: string, notes: string[]): Promise<void> {
  const strong = await admin.query<{ rolname: string }>(
    `SELECT rolname FROM pg_roles
      WHERE oid <> $1 AND rolname <> $2 AND rolname NOT LIKE 'pg\\_%'
        AND (rolsuper OR rolcreaterole OR rolreplication OR rolbypassrls)`,
    [BOOTSTRAP_OID, tenant],
  );
  for (const { rolname } of strong.rows) {
    await admin.query(`ALTER ROLE ${q(admin, rolname)} WITH NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
    notes.push(`role ${rolname} demoted`);
  }
  const members = await admin.query<{ role: string; member: string }>(
    `SELECT r.rolname AS role, u.rolname AS member FROM pg_auth_members m
       JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
      WHERE r.rolname = ANY($1) AND u.oid <> $2`,
    [SERVER_ROLES, BOOTSTRAP_OID],
  );
  for (const { role, member } of members.rows) {
    await admin.query(`REVOKE ${q(admin, role)} FROM ${q(admin, member)}`);
    notes.push(`${member} left ${role}`);
  }
  // Sessions of the demoted roles keep nothing: attributes are read at each check.
}

/**
 * Legacy, in one database: every object the bootstrap superuser owns that the tenant made (oid above initdb's,
 * not a member of an extension, whose objects stay with the extension's installer as in the owner model) goes to
 * the tenant's role. Views and SECURITY DEFINER functions run as their owner: left to the admin they would keep
 * the superuser's powers. Indexes, TOAST tables and owned sequences follow their table.
 */
async function handOver(pg: PgClient, datname: string, tenant: string, notes: string[]): Promise<void> {
  // Not part of an extension, nor made by PostgreSQL along with another object (a range type's constructors).
  // (A multirange type is made along with its range, yet does not follow the range's owner: it is handed on its own;
  // a standalone composite type's relation depends on its type, and is handed as the type.)
  const notExt = (catalog: string, deptypes = "'e', 'i'") =>
    `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = o.oid AND d.objsubid = 0 AND d.deptype IN (${deptypes}))`;
  const { rows } = await pg.query<{ stmt: string }>(
    `
    SELECT format('ALTER SCHEMA %I OWNER TO %I', o.nspname, $3::text) AS stmt, 1 AS ord FROM pg_namespace o
     WHERE o.nspowner = $1 AND o.oid >= $2 AND ${notExt('pg_namespace')}
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO %I',
             CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                            WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END,
             o.oid::regclass, $3::text), 2 FROM pg_class o
     WHERE o.relowner = $1 AND o.oid >= $2 AND o.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND ${notExt('pg_class', "'e'")}
       AND NOT (o.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                AND d.objid = o.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO %I', CASE o.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END,
             o.oid::regprocedure, $3::text), 3 FROM pg_proc o
     WHERE o.proowner = $1 AND o.oid >= $2 AND ${notExt('pg_proc')}
       AND (o.prokind = 'a' OR (SELECT lanpltrusted FROM pg_language WHERE oid = o.prolang))
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO %I', CASE o.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
             o.oid::regtype, $3::text), 4 FROM pg_type o
     WHERE o.typowner = $1 AND o.oid >= $2 AND o.typtype IN ('d', 'e', 'r', 'm') AND ${notExt('pg_type', "'e'")}
    UNION ALL
    SELECT format('ALTER COLLATION %I.%I OWNER TO %I', o.collnamespace::regnamespace, o.collname, $3::text), 5
      FROM pg_collation o WHERE o.collowner = $1 AND o.oid >= $2 AND ${notExt('pg_collation')}
    UNION ALL
    SELECT format('ALTER TEXT SEARCH CONFIGURATION %s OWNER TO %I', o.oid::regconfig, $3::text), 5
      FROM pg_ts_config o WHERE o.cfgowner = $1 AND o.oid >= $2 AND ${notExt('pg_ts_config')}
    UNION ALL
    SELECT format('ALTER TEXT SEARCH DICTIONARY %s OWNER TO %I', o.oid::regdictionary, $3::text), 5
      FROM pg_ts_dict o WHERE o.dictowner = $1 AND o.oid >= $2 AND ${notExt('pg_ts_dict')}
    UNION ALL
    SELECT format('ALTER SERVER %I OWNER TO %I', o.srvname, $3::text), 5
      FROM pg_foreign_server o WHERE o.srvowner = $1 AND o.oid >= $2 AND ${notExt('pg_foreign_server')}
    UNION ALL
    SELECT format('ALTER STATISTICS %I.%I OWNER TO %I', o.stxnamespace::regnamespace, o.stxname, $3::text), 5
      FROM pg_statistic_ext o WHERE o.stxowner = $1 AND o.oid >= $2
    UNION ALL
    SELECT format('ALTER LARGE OBJECT %s OWNER TO %I', o.oid, $3::text), 6
      FROM pg_largeobject_metadata o WHERE o.lomowner = $1
    ORDER BY 2`,
    [BOOTSTRAP_OID, FIRST_NORMAL_OID, tenant],
  );
  let failed = 0;
  for (const { stmt } of rows) {
    try {
      await pg.query(stmt);
    } catch (err) {
      failed++;
      if (failed <= 5) notes.push(`in ${datname}, not handed over: ${stmt} (${(err as Error).message})`);
    }
  }
  if (rows.length - failed > 0) notes.push(`in ${datname}, ${rows.length - failed} object(s) handed to ${tenant}`);
  // Functions in untrusted languages (C, internal, plpython3u...) that the superuser tenant wrote run code as the
  // server's user or skip the checks of the built-in they wrap: whoever may call them may have a shell. They stay
  // with the admin, callable by no one else, and the event names them. (Aggregates are `internal` but run nothing.)
  const untrusted = await pg.query<{ fn: string; grantees: string[] }>(
    `SELECT o.oid::regprocedure::text AS fn,
            ARRAY(SELECT DISTINCT CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
                    FROM aclexplode(coalesce(o.proacl, acldefault('f', o.proowner))) a
                   WHERE a.grantee <> o.proowner) AS grantees
       FROM pg_proc o JOIN pg_language l ON l.oid = o.prolang
      WHERE o.oid >= $1 AND NOT l.lanpltrusted AND o.prokind <> 'a' AND ${notExt('pg_proc')}`,
    [FIRST_NORMAL_OID],
  );
  for (const { fn, grantees } of untrusted.rows) {
    const owner = await pg.query(`SELECT 1 FROM pg_proc WHERE oid = $1::regprocedure AND proowner <> $2`, [
      fn,
      BOOTSTRAP_OID,
    ]);
    if (owner.rowCount) await pg.query(`ALTER ROUTINE ${fn} OWNER TO ${q(pg, ADMIN)}`);
    if (grantees.length) await pg.query(`REVOKE ALL ON FUNCTION ${fn} FROM ${grantees.join(', ')}`);
    if (owner.rowCount || grantees.length)
      notes.push(`in ${datname}, ${fn} (untrusted language) may no longer be called by the tenant`);
  }
  // What only a superuser may own stays with the admin: the tenant is told (event) rather than left in the dark.
  const kept = await pg.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtowner = $1 AND oid >= $2)
          + (SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwowner = $1 AND oid >= $2)
          + (SELECT count(*) FROM pg_language WHERE lanowner = $1 AND oid >= $2)
          + (SELECT count(*) FROM pg_publication WHERE pubowner = $1 AND oid >= $2) AS n`,
    [BOOTSTRAP_OID, FIRST_NORMAL_OID],
  );
  if (Number(kept.rows[0].n) > 0)
    notes.push(
      `in ${datname}, ${kept.rows[0].n} superuser-only object(s) (event triggers, wrappers, languages, publications) stay with the admin`,
    );
}

/**
 * PostgreSQL read-only that holds against the tenant's role: `default_transaction_read_only` does not (any session may
 * `SET` it off, `BEGIN READ WRITE`, or `ALTER DATABASE ... SET` on a database it owns), nor do revoked privileges (an
 * owner grants itself back). A hot standby does: with `standby.signal` in the data directory the server comes back
 * in recovery, where no session, the superuser's included, writes anything (no temporary table, no new database),
 * while every read works. Only the admin's `pg_promote()` ends it, without a restart.
 */
export async function pgSetReadOnly(
  ep: EngineEndpoint,
  req: ReadOnlyRequest,
): Promise<'unchanged' | 'changed' | 'restart'> {
  return withPg(
    ep,
    req.admin,
    async (pg) => {
      const { rows } = await pg.query<{ recovery: boolean; dir: string }>(
        `SELECT pg_is_in_recovery() AS recovery, current_setting('data_directory') AS dir`,
      );
      const { recovery, dir } = rows[0];
      if (req.readOnly) {
        if (recovery) return 'unchanged';
        // An empty file, written by the server itself (the admin is its superuser): read at the next start.
        await pg.query(`COPY (SELECT WHERE false) TO ${lit(pg, `${dir}/standby.signal`)}`);
        return 'restart';
      }
      if (!recovery) return 'unchanged';
      const promoted = await pg.query<{ ok: boolean }>('SELECT pg_promote(true, 60) AS ok');
      if (!promoted.rows[0]?.ok) throw new Error('the promotion did not finish within 60 s');
      return 'changed';
    },
    'postgres',
  );
}
