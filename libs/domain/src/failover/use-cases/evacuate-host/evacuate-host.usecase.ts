import { Injectable } from '@nestjs/common';
import { MoveAwayFromHost } from '../move-away.service';

/**
 * Everything off now, also from a host that is down or fenced (where drain refuses): HA databases fail over
 * (DRBD ones only once the host is fenced), the others are moved while their host still answers.
 */
@Injectable()
export class EvacuateHostUseCase {
  constructor(private readonly moveAway: MoveAwayFromHost) {}

  execute(hostId: string, actor: string) {
    return this.moveAway.run(hostId, actor, 'evacuate');
  }
}
