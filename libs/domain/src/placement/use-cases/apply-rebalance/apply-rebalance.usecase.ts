import { Injectable } from '@nestjs/common';
import { MoveDatabaseCommand } from '../../../databases/use-cases/move-database/move-database.command';
import { MoveDatabaseUseCase } from '../../../databases/use-cases/move-database/move-database.usecase';
import { DomainException } from '../../../errors';
import { ApplyRebalanceCommand } from './apply-rebalance.command';

/** Starts the accepted moves (each a normal move operation, checked again against the fleet as it is now). */
@Injectable()
export class ApplyRebalanceUseCase {
  constructor(private readonly mover: MoveDatabaseUseCase) {}

  async execute(cmd: ApplyRebalanceCommand, actor: string) {
    const started: { databaseId: string; operationId: string }[] = [];
    const refused: { databaseId: string; reason: string }[] = [];
    for (const m of cmd.moves) {
      try {
        const op = await this.mover.execute(
          MoveDatabaseCommand.create({ databaseId: m.databaseId, targetHostId: m.targetHostId }),
          actor,
        );
        started.push({ databaseId: m.databaseId, operationId: op.id });
      } catch (err) {
        // One refused move (the database is busy, the target filled up) does not stop the others.
        if (!(err instanceof DomainException)) throw err;
        refused.push({ databaseId: m.databaseId, reason: err.message });
      }
    }
    return { started, refused };
  }
}
