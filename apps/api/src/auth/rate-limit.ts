import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerModule,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ApiEnv } from '@app/config';
import { AuthenticateUseCase } from '@app/domain';
import { IS_PUBLIC } from './auth.decorators';
import { bearerOf } from './auth.guard';

/** Who a request is counted against: its API key when the key is valid, else the address it came from. */
interface Caller {
  tracker: string;
  keyed: boolean;
}
const CALLER = Symbol('rate-limit caller');
type CountedRequest = { [CALLER]?: Caller; ip: string; headers: Record<string, string | undefined> };

/**
 * Per-key and per-address limits (@nestjs/throttler, counters in the project's Redis so every replica shares
 * them), answered with 429 and `Retry-After`. Runs before the key check: a flood of wrong keys is counted
 * against its address and refused before it costs a key lookup each.
 */
export function rateLimitModule(env: ApiEnv) {
  return ThrottlerModule.forRoot({
    throttlers: [
      {
        ttl: env.RATE_LIMIT_WINDOW_MS,
        limit: (ctx) =>
          ctx.switchToHttp().getRequest<CountedRequest>()[CALLER]?.keyed
            ? env.RATE_LIMIT_PER_KEY
            : env.RATE_LIMIT_PER_ADDRESS,
      },
    ],
    // One counter per caller across all routes (the library's default is one per route).
    generateKey: (_ctx, tracker) => tracker,
    // The prefix keeps stacks that share a Redis (test runs, staging) from sharing counters.
    // lazyConnect: connected by the first request, so `main.js openapi` (no Redis) builds the module without a connection.
    storage: new ThrottlerStorageRedisService(env.REDIS_URL, {
      keyPrefix: `${env.QUEUE_PREFIX}:rate:`,
      lazyConnect: true,
    }),
    errorMessage: 'too many requests: retry after the delay in the Retry-After header',
  });
}

@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly authenticate: AuthenticateUseCase,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    // Health and metrics answer probes and scrapers: keyless, cheap, not counted.
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<CountedRequest>();
    const key = bearerOf(req);
    // Lookups are cached by AuthenticateUseCase: the key guard that follows does not pay for this one again.
    const principal = key ? await this.authenticate.execute(key) : null;
    // The key's id, never the secret, names its counter.
    req[CALLER] = principal
      ? { tracker: `key:${principal.keyId}`, keyed: true }
      : { tracker: `ip:${req.ip}`, keyed: false };
    return super.canActivate(ctx);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (req as unknown as CountedRequest)[CALLER]!.tracker;
  }
}
