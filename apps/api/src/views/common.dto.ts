import { ApiProperty } from '@nestjs/swagger';

// Response bodies as the OpenAPI document (/docs) describes them. The console's types are generated from that
// document (apps/console/src/api/openapi.d.ts): a field the API sends must be declared here to reach the console.
// Properties are read by the @nestjs/swagger compiler plugin (nest-cli.json, `*.dto.ts`), comments included.

/** Every error: `{ statusCode, error, message }` (message: one sentence, or the validation errors). */
export class ErrorBody {
  statusCode: number;
  error: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  message: string | string[];
}

/** 202: the work goes on in the background as this operation (`GET /v1/operations/:id`). */
export class Accepted {
  operationId: string;
}

/** An IP allow-list update: the list in force from now on, and the operation that puts it on the host. */
export class AllowListAccepted {
  operationId: string;
  allowedCidrs: string[];
}

/** A database being made (create, clone, restore): its id and the operation that makes it. */
export class DatabaseAccepted {
  id: string;
  status: string;
  operationId: string;
}

/** An operator's restore: the new database, in the backup's tenant. */
export class AdminRestoreAccepted extends DatabaseAccepted {
  tenantId: string;
}

/** The container's last log lines (passwords masked). */
export class Logs {
  lines: string[];
}
