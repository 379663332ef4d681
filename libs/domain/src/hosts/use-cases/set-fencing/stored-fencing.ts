import type { FencingConfig } from '@app/persistence/entities';
import type { Fencer, SecretSealer } from '../../../ports';
import { sealFencing, type FencingInput } from '../../fencing';
import { HostException, HostExceptionCode } from '../../host.exception';

/**
 * What registration and a fencing change store: the agent checked against the allow-list (the control plane's
 * directory, read now) and the secrets sealed.
 */
export async function storedFencing(
  fencer: Fencer,
  secrets: SecretSealer,
  input: FencingInput | null,
  previous: FencingConfig | null,
) {
  if (input?.driver === 'agent') {
    const problem = await fencer.checkAgent(input.agent);
    if (problem) throw new HostException(HostExceptionCode.BadFencing, problem);
  }
  return sealFencing(input, secrets, previous);
}
