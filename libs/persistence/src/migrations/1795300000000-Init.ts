import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795300000000 implements MigrationInterface {
  name = 'Init1795300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('tenant', 'operator')),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK ((kind = 'tenant') = (tenant_id IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE plans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        cpus numeric(6,2) NOT NULL CHECK (cpus > 0),
        memory_mb int NOT NULL CHECK (memory_mb >= 64),
        disk_gb int NOT NULL CHECK (disk_gb > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO plans (name, cpus, memory_mb, disk_gb) VALUES
        ('small', 0.5, 512, 1),
        ('medium', 1, 1024, 10),
        ('large', 2, 4096, 50),
        ('xlarge', 4, 8192, 200)`);
    await q.query(`
      CREATE TABLE hosts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        address text NOT NULL,
        connection text NOT NULL CHECK (connection IN ('local', 'ssh')),
        ssh_port int NOT NULL DEFAULT 22,
        ssh_user text NOT NULL DEFAULT 'root',
        ssh_private_key text,
        labels jsonb NOT NULL DEFAULT '{}',
        capacity jsonb NOT NULL,
        storage_driver text NOT NULL DEFAULT 'directory',
        data_root text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'down', 'fenced')),
        last_seen_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE databases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        engine text NOT NULL,
        version text NOT NULL,
        plan_id uuid NOT NULL REFERENCES plans(id),
        ha text NOT NULL DEFAULT 'none',
        status text NOT NULL,
        host_id uuid REFERENCES hosts(id),
        port int,
        username text NOT NULL,
        db_name text NOT NULL,
        password text,
        admin_password text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // A name is unique among a tenant's live databases; a deleted one frees its name and its port.
    await q.query(
      `CREATE UNIQUE INDEX databases_tenant_name_live ON databases (tenant_id, name) WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX databases_host_port_live ON databases (host_id, port) WHERE deleted_at IS NULL AND port IS NOT NULL`,
    );
    await q.query(`CREATE INDEX databases_host ON databases (host_id) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE volumes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        database_id uuid NOT NULL REFERENCES databases(id),
        host_id uuid NOT NULL REFERENCES hosts(id),
        driver text NOT NULL,
        path text,
        size_gb int NOT NULL,
        used_bytes bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX volumes_database ON volumes (database_id)`);
    await q.query(`
      CREATE TABLE operations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        tenant_id uuid REFERENCES tenants(id),
        database_id uuid REFERENCES databases(id),
        host_id uuid REFERENCES hosts(id),
        params jsonb NOT NULL DEFAULT '{}',
        progress int NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        progress_message text,
        error text,
        attempts int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX operations_status ON operations (status, created_at)`);
    await q.query(`CREATE INDEX operations_database ON operations (database_id, created_at)`);
    await q.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL,
        message text NOT NULL,
        tenant_id uuid,
        database_id uuid,
        host_id uuid,
        operation_id uuid,
        data jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX events_database ON events (database_id, created_at)`);
    await q.query(`CREATE INDEX events_created ON events (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['events', 'operations', 'volumes', 'databases', 'hosts', 'plans', 'api_keys', 'tenants']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
