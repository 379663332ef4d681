import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stagingPath, tagFor } from '@app/domain/volumes/volume-copier.service';
import type { VolumeEntity } from '@app/persistence/entities';

describe('copy helpers', () => {
  test('staging copies sit beside the data directory, on the same filesystem', () => {
    assert.equal(
      stagingPath({ path: '/var/lib/dbaas/volumes/abc' } as VolumeEntity, 'tag1'),
      '/var/lib/dbaas/volumes/.stage-tag1',
    );
    assert.equal(
      stagingPath({ path: '/var/lib/dbaas/volumes/abc/data' } as VolumeEntity, 't'),
      '/var/lib/dbaas/volumes/abc/.stage-t',
    );
    assert.throws(() => stagingPath({ path: null } as VolumeEntity, 't'));
  });

  test('tags are short, stable per operation and safe as LVM names', () => {
    const t = tagFor('6f1c2a4e-1b2c-4d3e-8f9a-0b1c2d3e4f5a');
    assert.equal(t, '6f1c2a4e1b2c4d3e');
    assert.match(t, /^[a-z0-9]{4,32}$/);
  });
});
