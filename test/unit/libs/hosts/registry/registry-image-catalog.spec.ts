import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { registryBaseUrl, RegistryTags } from '@app/hosts/registry/registry-image-catalog';

/** A stand-in for a registry's tag-list endpoint on 127.0.0.1: what it answers is set per test. */
describe('RegistryTags: tags from a Docker Registry v2, cached, never refusing on a non-answer', () => {
  let server: Server;
  let port = 0;
  const seen: { path: string; auth?: string }[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const registry = (opts: { ttlMs?: number; timeoutMs?: number; path?: string; now?: () => number } = {}) =>
    new RegistryTags({
      registry: `127.0.0.1:${port}${opts.path ?? ''}`,
      username: 'dbaas',
      password: 's3cret',
      ttlMs: opts.ttlMs,
      timeoutMs: opts.timeoutMs,
      now: opts.now,
    });

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  test('loopback registries are plain HTTP (as Docker treats them); others TLS', () => {
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
    assert.equal(registryBaseUrl('[::1]:5000'), 'http://[::1]:5000');
    assert.equal(registryBaseUrl('registry.example:5000'), 'https://registry.example:5000');
    assert.equal(registryBaseUrl('10.0.2.2:5000'), 'https://10.0.2.2:5000');
  });

  test('the tags, with basic auth; a burst of lookups within the TTL costs one request', async () => {
    seen.length = 0;
    handler = (_req, res) => setTimeout(() => json(res, 200, { name: 'library/postgres', tags: ['15', '16'] }), 50);
    const r = registry();
    const answers = await Promise.all(Array.from({ length: 10 }, () => r.tags('library/postgres')));
    assert.ok(
      answers.every((a) => JSON.stringify(a) === '["15","16"]'),
      JSON.stringify(answers),
    );
    assert.deepEqual(await r.tags('library/postgres'), ['15', '16']);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].path, '/v2/library/postgres/tags/list');
    assert.equal(seen[0].auth, `Basic ${Buffer.from('dbaas:s3cret').toString('base64')}`);
  });

  test('after the TTL the registry is asked again (a pushed tag shows up)', async () => {
    seen.length = 0;
    let tags = ['15'];
    handler = (_req, res) => json(res, 200, { name: 'library/redis', tags });
    let clock = 1_000_000;
    const r = registry({ ttlMs: 30_000, now: () => clock });
    assert.deepEqual(await r.tags('library/redis'), ['15']);
    tags = ['15', '16'];
    clock += 29_999;
    assert.deepEqual(await r.tags('library/redis'), ['15']);
    clock += 1;
    assert.deepEqual(await r.tags('library/redis'), ['15', '16']);
    assert.equal(seen.length, 2);
  });

  test('a repository the registry does not know holds no tag: an empty list, not "unknown"', async () => {
    handler = (_req, res) =>
      json(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
    assert.deepEqual(await registry().tags('library/mysql'), []);
  });

  test('a path prefix in IMAGE_REGISTRY is part of the repository name; pages are followed', async () => {
    seen.length = 0;
    handler = (req, res) =>
      req.url?.includes('last=')
        ? json(res, 200, { tags: ['7.2'] })
        : json(res, 200, { tags: ['7.0'] }, { link: '</v2/mirror/library/redis/tags/list?last=7.0&n=1>; rel="next"' });
    assert.deepEqual(await registry({ path: '/mirror' }).tags('library/redis'), ['7.0', '7.2']);
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/v2/mirror/library/redis/tags/list', '/v2/mirror/library/redis/tags/list?last=7.0&n=1'],
    );
  });

  test('credentials refused, an error page, a slow or absent registry: unknown (null), nothing refused', async () => {
    handler = (_req, res) => json(res, 401, { errors: [{ code: 'UNAUTHORIZED' }] });
    assert.equal(await registry().tags('library/postgres'), null);
    handler = (_req, res) => json(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
    assert.equal(await registry().tags('library/postgres'), null);
    handler = (_req, res) => {
      res.writeHead(502);
      res.end('bad gateway');
    };
    assert.equal(await registry().tags('library/postgres'), null);
    handler = (_req, res) => {
      const late = setTimeout(() => json(res, 200, { tags: ['15'] }), 5000);
      res.on('close', () => clearTimeout(late));
    };
    const started = Date.now();
    assert.equal(await registry({ timeoutMs: 200 }).tags('library/postgres'), null);
    assert.ok(Date.now() - started < 4000, `gave up after ${Date.now() - started} ms`);
    // Nothing listens there (a port just freed).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.equal(await new RegistryTags({ registry: `127.0.0.1:${dead}` }).tags('library/postgres'), null);
  });
});
