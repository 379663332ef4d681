import { Inject, Injectable } from '@nestjs/common';
import { DATABASE_REPOSITORY, DatabaseRepository } from '../../../ports';
import { DatabaseView } from '../../database.view';
import { DatabaseViewer } from '../../database-viewer.service';

export interface DatabaseFilter {
  tenantId?: string;
  hostId?: string;
  status?: string;
  engine?: string;
}

@Injectable()
export class ListDatabasesUseCase {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    private readonly viewer: DatabaseViewer,
  ) {}

  async execute(filter: DatabaseFilter): Promise<DatabaseView[]> {
    return this.viewer.render(await this.databases.list(filter));
  }
}
