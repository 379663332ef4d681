import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiEnv,
  CommonEnv,
  EnvValidationError,
  intToIp,
  loadEnv,
  portRange,
  vipRange,
  WorkerEnv,
} from '@app/config/env';

const MINIMAL = {
  DATABASE_URL: 'postgres://dbaas:pw@localhost:5432/dbaas',
  REDIS_URL: 'redis://localhost:6379',
  MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
};

/** Runs fn, expects an EnvValidationError and returns its message. */
function envError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EnvValidationError, `expected EnvValidationError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected loadEnv to throw');
}

describe('loadEnv', () => {
  test('a minimal ApiEnv gets its defaults', () => {
    const env = loadEnv(ApiEnv, { ...MINIMAL });
    assert.ok(env instanceof ApiEnv);
    assert.equal(env.DATABASE_URL, MINIMAL.DATABASE_URL);
    assert.equal(env.QUEUE_PREFIX, 'dbaas');
    assert.equal(env.LOG_LEVEL, 'log');
    assert.equal(env.DOCKER_SOCKET, '/var/run/docker.sock');
    assert.equal(env.DATA_ROOT, '/var/lib/dbaas/volumes');
    assert.equal(env.PORT_RANGE, '20000-29999');
    assert.equal(env.API_PORT, 8080);
    assert.equal(env.API_HOST, '127.0.0.1');
    assert.equal(env.LOCAL_HOST, true);
    assert.equal(env.LOCAL_HOST_ADDRESS, '127.0.0.1');
    assert.equal(env.IMAGE_REGISTRY, undefined);
    assert.equal(env.OPERATOR_BOOTSTRAP_KEY, undefined);
  });

  test('a minimal WorkerEnv gets its numeric defaults', () => {
    const env = loadEnv(WorkerEnv, { ...MINIMAL });
    assert.equal(env.WORKER_CONCURRENCY, 20);
    assert.equal(env.JOB_ATTEMPTS, 5);
    assert.equal(env.JOB_BACKOFF_MS, 2000);
    assert.equal(env.JOB_LOCK_MS, 15000);
    assert.equal(env.JOB_MAX_STALLED_COUNT, 3);
    assert.equal(env.RECONCILE_INTERVAL_MS, 30000);
    assert.equal(env.RECONCILE_STALE_AFTER_MS, 60000);
    assert.equal(env.READY_TIMEOUT_MS, 180000);
  });

  test('numbers given as strings are converted', () => {
    const api = loadEnv(ApiEnv, { ...MINIMAL, API_PORT: '9090' });
    assert.equal(api.API_PORT, 9090);
    assert.equal(typeof api.API_PORT, 'number');
    const worker = loadEnv(WorkerEnv, {
      ...MINIMAL,
      WORKER_CONCURRENCY: '7',
      JOB_ATTEMPTS: '3',
      READY_TIMEOUT_MS: '5000',
    });
    assert.equal(worker.WORKER_CONCURRENCY, 7);
    assert.equal(worker.JOB_ATTEMPTS, 3);
    assert.equal(worker.READY_TIMEOUT_MS, 5000);
  });

  test("LOCAL_HOST 'true' / '1' / 'YES' / 'on' is true", () => {
    for (const v of ['true', '1', 'YES', 'on'])
      assert.equal(loadEnv(ApiEnv, { ...MINIMAL, LOCAL_HOST: v }).LOCAL_HOST, true, v);
  });

  // Implicit conversion alone would make the string 'false' true: toBool must read the raw value.
  test("LOCAL_HOST 'false' / '0' / 'no' / 'off' is false", () => {
    for (const v of ['false', '0', 'no', 'off'])
      assert.equal(loadEnv(ApiEnv, { ...MINIMAL, LOCAL_HOST: v }).LOCAL_HOST, false, v);
  });

  test('accepts a hex MASTER_KEY, postgresql:// and rediss:// URLs, an IMAGE_REGISTRY with port and path', () => {
    const env = loadEnv(ApiEnv, {
      ...MINIMAL,
      DATABASE_URL: 'postgresql://u@db/x',
      REDIS_URL: 'rediss://cache:6380',
      MASTER_KEY: 'ab'.repeat(32),
      IMAGE_REGISTRY: 'registry.local:5000/mirror',
    });
    assert.equal(env.MASTER_KEY, 'ab'.repeat(32));
    assert.equal(env.IMAGE_REGISTRY, 'registry.local:5000/mirror');
  });

  test('missing DATABASE_URL is named in the error', () => {
    const { DATABASE_URL: _omit, ...rest } = MINIMAL;
    void _omit;
    const msg = envError(() => loadEnv(ApiEnv, rest));
    assert.match(msg, /Invalid environment for ApiEnv/);
    assert.match(msg, /DATABASE_URL/);
    assert.doesNotMatch(msg, /REDIS_URL|MASTER_KEY/);
  });

  test('a bad MASTER_KEY is named in the error', () => {
    for (const bad of ['short', 'ab'.repeat(31), Buffer.alloc(16).toString('base64'), 'zz'.repeat(32)]) {
      const msg = envError(() => loadEnv(CommonEnv, { ...MINIMAL, MASTER_KEY: bad }));
      assert.match(msg, /MASTER_KEY/, bad);
      assert.doesNotMatch(msg, /DATABASE_URL/);
    }
  });

  test('API_PORT=abc and out-of-range ports are rejected', () => {
    assert.match(
      envError(() => loadEnv(ApiEnv, { ...MINIMAL, API_PORT: 'abc' })),
      /API_PORT/,
    );
    assert.match(
      envError(() => loadEnv(ApiEnv, { ...MINIMAL, API_PORT: '70000' })),
      /API_PORT/,
    );
    assert.match(
      envError(() => loadEnv(ApiEnv, { ...MINIMAL, API_PORT: '0' })),
      /API_PORT/,
    );
  });

  test('every bad variable is listed in one error', () => {
    const msg = envError(() =>
      loadEnv(ApiEnv, {
        REDIS_URL: 'http://not-redis',
        MASTER_KEY: 'nope',
        API_PORT: 'abc',
        LOG_LEVEL: 'chatty',
        DATA_ROOT: 'relative/path',
        PORT_RANGE: '1-2',
        OPERATOR_BOOTSTRAP_KEY: 'too-short',
      }),
    );
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'MASTER_KEY',
      'API_PORT',
      'LOG_LEVEL',
      'DATA_ROOT',
      'PORT_RANGE',
      'OPERATOR_BOOTSTRAP_KEY',
    ]) {
      assert.match(msg, new RegExp(`- ${name}:`), name);
    }
  });

  test('worker limits are enforced', () => {
    const msg = envError(() => loadEnv(WorkerEnv, { ...MINIMAL, WORKER_CONCURRENCY: '500', JOB_LOCK_MS: '10' }));
    assert.match(msg, /WORKER_CONCURRENCY/);
    assert.match(msg, /JOB_LOCK_MS/);
    assert.doesNotMatch(msg, /JOB_ATTEMPTS/);
  });
});

describe('portRange', () => {
  test('parses the default and custom ranges', () => {
    assert.deepEqual(portRange(loadEnv(CommonEnv, { ...MINIMAL })), { from: 20000, to: 29999 });
    assert.deepEqual(portRange(loadEnv(CommonEnv, { ...MINIMAL, PORT_RANGE: '30000-30100' })), {
      from: 30000,
      to: 30100,
    });
  });

  test('an empty or reversed range is an EnvValidationError', () => {
    const reversed = loadEnv(CommonEnv, { ...MINIMAL, PORT_RANGE: '30000-20000' });
    assert.throws(
      () => portRange(reversed),
      (e: unknown) => e instanceof EnvValidationError && /PORT_RANGE/.test(e.message),
    );
    const empty = loadEnv(CommonEnv, { ...MINIMAL, PORT_RANGE: '25000-25000' });
    assert.throws(() => portRange(empty), EnvValidationError);
  });
});

describe('HA_VIP_RANGE', () => {
  const env = (v?: string) => ({ HA_VIP_RANGE: v }) as never;
  test('parses first-last/prefix', () => {
    const r = vipRange(env('10.99.0.100-10.99.0.119/24'))!;
    assert.equal(r.last - r.first, 19);
    assert.equal(r.prefixLen, 24);
    assert.equal(intToIp(r.first), '10.99.0.100');
    assert.equal(intToIp(r.last + 200), '10.99.1.63');
  });
  test('none configured: no HA; bad ranges are refused', () => {
    assert.equal(vipRange(env(undefined)), null);
    assert.throws(() => vipRange(env('10.99.0.200-10.99.0.100/24')), /first address/);
    assert.throws(() => vipRange(env('10.99.0.300-10.99.0.310/24')), /not an IPv4/);
    assert.throws(() => vipRange(env('10.99.0.1-10.99.0.2/40')), /prefix/);
  });
});
