import type { HostEntity } from '@app/persistence/entities';
import type { HostRepository } from '../../ports';
import { FailoverException, FailoverExceptionCode } from '../failover.exception';

/** The host an operator's host action names, or the action's 404. */
export async function requireHost(hosts: HostRepository, id: string): Promise<HostEntity> {
  const host = await hosts.get(id);
  if (!host) throw new FailoverException(FailoverExceptionCode.HostNotFound, 'host not found');
  return host;
}
