import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_REPOSITORY,
  EventRepository,
  PLACEMENT_SETTINGS_REPOSITORY,
  PlacementSettingsRepository,
} from '../../../ports';
import { PlacementSettingsView, toPlacementSettingsView } from '../../placement-settings.view';
import { UpdatePlacementSettingsCommand } from './update-placement-settings.command';

/** Changes the fields given (omitted ones keep their value), recorded as an event. */
@Injectable()
export class UpdatePlacementSettingsUseCase {
  constructor(
    @Inject(PLACEMENT_SETTINGS_REPOSITORY) private readonly settings: PlacementSettingsRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(cmd: UpdatePlacementSettingsCommand, actor: string): Promise<PlacementSettingsView> {
    const patch = Object.fromEntries(Object.entries(cmd).filter(([, v]) => v !== undefined));
    const saved = await this.settings.update({ ...patch, updatedBy: actor });
    await this.events.record({
      type: 'placement.settings-changed',
      message: `placement settings changed by ${actor}: ${JSON.stringify(patch)}`,
    });
    return toPlacementSettingsView(saved);
  }
}
