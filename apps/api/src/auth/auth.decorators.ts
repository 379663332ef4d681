import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal } from '@app/domain';

export const IS_PUBLIC = 'dbaas:public';
export const AUDIENCE = 'dbaas:audience';

/** No key needed (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Operator key only (admin API). */
export const OperatorOnly = () => SetMetadata(AUDIENCE, 'operator');
/** Tenant key only (tenant API). */
export const TenantOnly = () => SetMetadata(AUDIENCE, 'tenant');

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal,
);

/** The tenant id of a tenant key (routes marked TenantOnly guarantee one). */
export const TenantId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const p: Principal = ctx.switchToHttp().getRequest().principal;
  return p.kind === 'tenant' ? p.tenantId : '';
});

export const actorOf = (p: Principal) => (p.kind === 'operator' ? `operator:${p.name}` : `tenant-key:${p.keyId}`);
