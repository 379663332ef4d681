import type { HostEntity, VolumeEntity } from '@app/persistence/entities';

/**
 * How much older than the old primary's last sign of life the last mirror reading may be. The failover worker
 * writes an unchanged reading every few seconds and the host's lastSeenAt every 5 s: a bigger gap means the
 * readings stopped while the host still answered, and the last one may predate a cut of the replication link.
 */
export const MIRROR_READING_MAX_LAG_MS = 15_000;

/**
 * Why a DRBD peer must not be promoted without an operator (null: it may be). With the fence-peer handler a
 * primary never writes alone before the control plane recorded its mirror 'degraded', so a 'synced' reading taken
 * up to the primary's last moments is reliable; an old one, or none, is not.
 */
export function mirrorRefusal(
  volume: Pick<VolumeEntity, 'mirrorState' | 'mirrorCheckedAt'>,
  oldPrimary: Pick<HostEntity, 'name' | 'lastSeenAt'> | null,
): string | null {
  const at = volume.mirrorCheckedAt;
  if (!at) return 'the mirror state was never read';
  if (volume.mirrorState !== 'synced')
    return `the mirror was ${volume.mirrorState ?? 'unknown'} at its last reading (${at.toISOString()})`;
  const seen = oldPrimary?.lastSeenAt;
  if (seen && seen.getTime() - at.getTime() > MIRROR_READING_MAX_LAG_MS)
    return (
      `the last mirror reading (${at.toISOString()}) is ${Math.round((seen.getTime() - at.getTime()) / 1000)} s ` +
      `older than ${oldPrimary.name}'s last sign of life (${seen.toISOString()}): it may predate a cut of the replication link`
    );
  return null;
}
