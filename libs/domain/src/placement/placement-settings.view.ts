import type { PlacementSettingsEntity } from '@app/persistence/entities';
import { overcommitOf } from './fleet';

export interface PlacementSettingsView {
  overcommit: { cpus: number; memoryMb: number; diskGb: number };
  hotspot: { cpu: number; memory: number };
  updatedBy: string | null;
  updatedAt: string;
}

export const toPlacementSettingsView = (s: PlacementSettingsEntity): PlacementSettingsView => ({
  overcommit: overcommitOf(s),
  hotspot: { cpu: s.hotspotCpu, memory: s.hotspotMemory },
  updatedBy: s.updatedBy,
  updatedAt: s.updatedAt.toISOString(),
});
