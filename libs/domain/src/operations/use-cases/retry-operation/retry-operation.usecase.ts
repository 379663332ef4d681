import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseStatus, OperationEntity } from '@app/persistence/entities';
import { DomainException, ErrorKind } from '../../../errors';
import { FLEET_QUERIES, FleetQueries, OPERATION_REPOSITORY, OperationRepository } from '../../../ports';
import { DatabaseOperationStarter } from '../../../databases/database-operation-starter';
import { jobForOperation } from '../../operation-jobs';
import { OperationNotFound } from '../../operation.exception';
import type { OperationView } from '../../operation.view';

export enum RetryExceptionCode {
  NotFailed = 'operation-not-failed',
  NotRetryable = 'operation-not-retryable',
  Superseded = 'operation-superseded',
}

export class RetryException extends DomainException<RetryExceptionCode> {
  get kind(): ErrorKind {
    return this.code === RetryExceptionCode.NotRetryable ? ErrorKind.Unprocessable : ErrorKind.Conflict;
  }
}

/**
 * The operations a retry may run again as they were asked. Their handlers reconcile what exists, so a second
 * run after a partial first one is safe. Not here: failovers and moves answer a situation that has changed
 * since (start a new one), and a failed backup is replaced by taking a new one.
 */
const RETRYABLE: Record<string, { status?: DatabaseStatus; allowedFrom?: DatabaseStatus[]; supersede?: boolean }> = {
  'create-database': { status: 'provisioning', allowedFrom: ['error'] },
  'clone-database': { status: 'provisioning', allowedFrom: ['error'] },
  'restore-backup': { status: 'provisioning', allowedFrom: ['error'] },
  'restart-database': { allowedFrom: ['running', 'error', 'stopped'] },
  'rotate-password': { allowedFrom: ['running'] },
  'resize-database': { allowedFrom: ['running'] },
  'convert-privileges': { allowedFrom: ['running'] },
  'update-allowed-cidrs': { allowedFrom: ['running', 'stopped', 'error'] },
  'delete-database': { status: 'deleting', supersede: true },
};

/** An operator retries a failed operation: a new operation of the same type and parameters. */
@Injectable()
export class RetryOperationUseCase {
  constructor(
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
    private readonly starter: DatabaseOperationStarter,
  ) {}

  async execute(operationId: string): Promise<OperationEntity> {
    const op = await this.operations.get(operationId);
    if (!op) throw new OperationNotFound();
    if (op.status !== 'failed') {
      throw new RetryException(RetryExceptionCode.NotFailed, `operation is ${op.status}: only a failed one is retried`);
    }
    const policy = RETRYABLE[op.type];
    if (!policy || !op.databaseId) {
      throw new RetryException(
        RetryExceptionCode.NotRetryable,
        `a ${op.type} is not retried as it was: start a new one instead`,
      );
    }
    const latest = (await this.fleet.latestOperations([op.databaseId])).get(op.databaseId);
    if (latest !== op.id) {
      throw new RetryException(
        RetryExceptionCode.Superseded,
        `operation ${latest} ran on this database after this one: retry that one or start a new operation`,
      );
    }
    const databaseId = op.databaseId;
    const params = { ...op.params, retryOf: op.id };
    return this.starter.start({
      tenantId: null,
      databaseId,
      type: op.type,
      params,
      ...policy,
      job: (id) => jobForOperation({ id, type: op.type, databaseId, params })!,
    });
  }

  /** Marks the views an operator can retry (failed, of a retryable type, and still the database's last). */
  async annotate(views: OperationView[]): Promise<(OperationView & { retryable: boolean })[]> {
    const failed = views.filter((v) => v.status === 'failed' && RETRYABLE[v.type] && v.databaseId);
    const latest = await this.fleet.latestOperations([...new Set(failed.map((v) => v.databaseId!))]);
    return views.map((v) => ({ ...v, retryable: failed.includes(v) && latest.get(v.databaseId!) === v.id }));
  }
}
