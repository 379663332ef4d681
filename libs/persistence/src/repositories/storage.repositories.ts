import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { LunRepository, StorageBackendRepository } from '@app/domain/ports';
import { LunEntity, StorageBackendEntity } from '../entities';

@Injectable()
export class TypeOrmStorageBackendRepository implements StorageBackendRepository {
  constructor(@InjectRepository(StorageBackendEntity) private readonly repo: Repository<StorageBackendEntity>) {}
  create(b: Omit<StorageBackendEntity, 'id' | 'createdAt' | 'updatedAt'>) {
    return this.repo.save(this.repo.create(b));
  }
  list() {
    return this.repo.find({ order: { name: 'ASC' } });
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  findByName(name: string) {
    return this.repo.findOneBy({ name });
  }
  async getSealedKey(id: string) {
    const row = await this.repo
      .createQueryBuilder('b')
      .addSelect('b.sshPrivateKey')
      .where('b.id = :id', { id })
      .getOne();
    return row?.sshPrivateKey ?? null;
  }
}

@Injectable()
export class TypeOrmLunRepository implements LunRepository {
  constructor(@InjectRepository(LunEntity) private readonly repo: Repository<LunEntity>) {}
  create(
    l: Pick<LunEntity, 'backendId' | 'hostId' | 'name' | 'iqn' | 'sizeGb' | 'chapUser' | 'chapPassword' | 'hostVg'>,
  ) {
    return this.repo.save(this.repo.create({ ...l, status: 'creating' }));
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  async getSealedChap(id: string) {
    const row = await this.repo
      .createQueryBuilder('l')
      .addSelect('l.chapPassword')
      .where('l.id = :id', { id })
      .getOne();
    return row?.chapPassword ?? null;
  }
  listLive(filter: { hostId?: string; backendId?: string }) {
    return this.repo.find({
      where: {
        deletedAt: IsNull(),
        ...(filter.hostId ? { hostId: filter.hostId } : {}),
        ...(filter.backendId ? { backendId: filter.backendId } : {}),
      },
      order: { createdAt: 'ASC' },
    });
  }
  async update(id: string, patch: Partial<LunEntity>) {
    await this.repo.update({ id }, patch);
  }
  async markDeleted(id: string) {
    await this.repo.update({ id }, { status: 'deleted', deletedAt: new Date() });
  }
}
