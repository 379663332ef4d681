import { Injectable } from '@nestjs/common';
import { MoveAwayFromHost } from '../move-away.service';

/** No new databases, and every HA primary moved away with a clean switchover. */
@Injectable()
export class DrainHostUseCase {
  constructor(private readonly moveAway: MoveAwayFromHost) {}

  execute(hostId: string, actor: string) {
    return this.moveAway.run(hostId, actor, 'drain');
  }
}
