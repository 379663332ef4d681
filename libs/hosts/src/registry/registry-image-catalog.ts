import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import type { ImageCatalog } from '@app/domain/ports';

export interface RegistryOptions {
  /** host[:port][/path], as IMAGE_REGISTRY; images are `<registry>/<repository>:<tag>`. */
  registry: string;
  username?: string;
  password?: string;
  /** How long an answer (a list of tags, or "unknown") is reused: a burst of requests costs one lookup. */
  ttlMs?: number;
  timeoutMs?: number;
  /** The clock the TTL is measured with (tests). */
  now?: () => number;
}

/** Pages of a tag list followed at most (a registry pages only when asked to, or past a thousand tags). */
const MAX_PAGES = 20;

/** Docker's own rule: a registry on a loopback address speaks plain HTTP; any other is reached over TLS. */
export function registryBaseUrl(server: string): string {
  const host = server.startsWith('[') ? server.slice(1, server.indexOf(']')) : server.split(':')[0];
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return `${loopback ? 'http' : 'https'}://${server}`;
}

/**
 * Tags of image repositories, read from a Docker Registry HTTP API v2 (CNCF distribution, or any registry that
 * takes basic auth on it): `GET /v2/<name>/tags/list`. A registry that names no such repository (NAME_UNKNOWN)
 * holds none of its tags; any other failure (no answer, credentials refused, a token-auth registry) is
 * "unknown", logged, and refuses nothing.
 */
export class RegistryTags implements ImageCatalog {
  private readonly logger = new Logger('ImageCatalog');
  private readonly server: string;
  private readonly base: string;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;
  private readonly cache = new Map<string, { at: number; tags: Promise<string[] | null> }>();

  constructor(private readonly opts: RegistryOptions) {
    const [server, ...path] = opts.registry.replace(/\/+$/, '').split('/');
    this.server = server;
    this.base = registryBaseUrl(server);
    this.prefix = path.join('/');
    this.headers = { accept: 'application/json' };
    if (opts.username)
      this.headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }

  tags(repository: string): Promise<string[] | null> {
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(repository);
    // The promise is kept, not its value: concurrent callers share the one lookup in flight.
    if (hit && now - hit.at < (this.opts.ttlMs ?? 30_000)) return hit.tags;
    const tags = this.lookup(repository);
    this.cache.set(repository, { at: now, tags });
    return tags;
  }

  private async lookup(repository: string): Promise<string[] | null> {
    const name = this.prefix ? `${this.prefix}/${repository}` : repository;
    const ref = `${this.server}/${name}`;
    const tags: string[] = [];
    let path: string | null = `/v2/${name}/tags/list`;
    try {
      for (let page = 0; path && page < MAX_PAGES; page++) {
        const res: Response = await fetch(new URL(path, this.base), {
          headers: this.headers,
          redirect: 'error',
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3_000),
        });
        const body = (await res.json().catch(() => null)) as {
          tags?: unknown;
          errors?: { code?: string }[];
        } | null;
        if (res.status === 404 && body?.errors?.some((e) => e.code === 'NAME_UNKNOWN')) return [];
        if (res.status !== 200 || !body) {
          this.logger.warn(`image registry answered ${res.status} for ${ref}: its tags are not checked`);
          return null;
        }
        if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
        // RFC 5988 Link header: the next page, when the registry pages.
        path = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
      }
      return tags;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      this.logger.warn(`image registry ${this.base} did not answer for ${ref} (${why}): its tags are not checked`);
      return null;
    }
  }
}

/**
 * The platform's image catalogue: the registry of IMAGE_REGISTRY with its credentials. Without IMAGE_REGISTRY,
 * images come from Docker Hub or are preloaded on each host: neither can be asked from here (Docker Hub is not
 * reachable from an air-gapped control plane, and a host's local images are its own), so nothing is known and
 * nothing is refused.
 */
@Injectable()
export class RegistryImageCatalog implements ImageCatalog {
  private readonly registry: RegistryTags | null;

  constructor(@Inject(ENV) env: CommonEnv) {
    this.registry = env.IMAGE_REGISTRY
      ? new RegistryTags({
          registry: env.IMAGE_REGISTRY,
          username: env.IMAGE_REGISTRY_USERNAME,
          password: env.IMAGE_REGISTRY_PASSWORD,
        })
      : null;
  }

  tags(repository: string): Promise<string[] | null> {
    return this.registry ? this.registry.tags(repository) : Promise.resolve(null);
  }
}
