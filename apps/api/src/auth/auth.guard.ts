import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticateUseCase } from '@app/domain';
import { AUDIENCE, IS_PUBLIC } from './auth.decorators';

/** The key of an `Authorization: Bearer <key>` header, if the request has one. */
export function bearerOf(req: { headers?: Record<string, string | undefined> }): string | undefined {
  return req.headers?.authorization?.match(/^Bearer\s+(\S{1,200})$/i)?.[1];
}

/** Bearer keys: missing or unknown → 401; the wrong kind of key for the route → 403. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest();
    const key = bearerOf(req);
    if (!key) throw new UnauthorizedException('missing bearer API key');
    const principal = await this.authenticate.execute(key);
    if (!principal) throw new UnauthorizedException('invalid API key');
    // Known before the audience check, so the audit log can name who was refused.
    req.principal = principal;
    const audience = this.reflector.getAllAndOverride<string>(AUDIENCE, targets);
    if (audience && audience !== principal.kind) {
      throw new ForbiddenException(
        audience === 'operator' ? 'this route needs an operator key' : 'this route needs a tenant API key',
      );
    }
    return true;
  }
}
