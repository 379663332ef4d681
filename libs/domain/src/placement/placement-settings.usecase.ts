import { Inject, Injectable } from '@nestjs/common';
import type { PlacementSettingsEntity } from '@app/persistence/entities';
import {
  EVENT_REPOSITORY,
  EventRepository,
  PLACEMENT_SETTINGS_REPOSITORY,
  PlacementSettingsRepository,
} from '../ports';
import { overcommitOf } from './fleet';
import { UpdatePlacementSettingsCommand } from './placement-settings.command';

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

/** The operators' placement policy: overcommit ratios and hotspot thresholds. */
@Injectable()
export class PlacementSettingsUseCases {
  constructor(
    @Inject(PLACEMENT_SETTINGS_REPOSITORY) private readonly settings: PlacementSettingsRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async get(): Promise<PlacementSettingsView> {
    return toPlacementSettingsView(await this.settings.get());
  }

  async update(cmd: UpdatePlacementSettingsCommand, actor: string): Promise<PlacementSettingsView> {
    const patch = Object.fromEntries(Object.entries(cmd).filter(([, v]) => v !== undefined));
    const saved = await this.settings.update({ ...patch, updatedBy: actor });
    await this.events.record({
      type: 'placement.settings-changed',
      message: `placement settings changed by ${actor}: ${JSON.stringify(patch)}`,
    });
    return toPlacementSettingsView(saved);
  }
}
