import { Injectable } from '@nestjs/common';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseView } from '../../database.view';
import { DatabaseViewer } from '../../database-viewer.service';

@Injectable()
export class GetDatabaseUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    private readonly viewer: DatabaseViewer,
  ) {}

  async execute(tenantId: string | null, databaseId: string): Promise<DatabaseView> {
    const db = await this.starter.findOwned(tenantId, databaseId);
    const [view] = await this.viewer.render([db]);
    return view;
  }
}
