import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { LunRepository, StorageBackendRepository } from '@app/domain/ports';
import { LunEntity, StorageBackendEntity } from '../entities';
import { readHidden } from './hidden-column';

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
  getSealedKey(id: string) {
    return readHidden(this.repo, id, 'sshPrivateKey');
  }
  async pinHostKey(id: string, fingerprint: string, firstContact: boolean) {
    const res = await this.repo.update(firstContact ? { id, hostKeyFingerprint: IsNull() } : { id }, {
      hostKeyFingerprint: fingerprint,
      hostKeyPinnedBy: firstContact ? 'first-contact' : 'operator',
    });
    return (res.affected ?? 0) > 0;
  }
}

@Injectable()
export class TypeOrmLunRepository implements LunRepository {
  constructor(@InjectRepository(LunEntity) private readonly repo: Repository<LunEntity>) {}
  create(
    l: Pick<
      LunEntity,
      'backendId' | 'hostId' | 'name' | 'iqn' | 'sizeGb' | 'chapUser' | 'chapPassword' | 'hostVg' | 'dedicated'
    >,
  ) {
    return this.repo.save(this.repo.create({ ...l, status: 'creating' }));
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  getSealedChap(id: string) {
    return readHidden(this.repo, id, 'chapPassword');
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
