import { Inject, Injectable } from '@nestjs/common';
import { PLACEMENT_SETTINGS_REPOSITORY, PlacementSettingsRepository } from '../../../ports';
import { PlacementSettingsView, toPlacementSettingsView } from '../../placement-settings.view';

/** The operators' placement policy: overcommit ratios and hotspot thresholds. */
@Injectable()
export class GetPlacementSettingsUseCase {
  constructor(@Inject(PLACEMENT_SETTINGS_REPOSITORY) private readonly settings: PlacementSettingsRepository) {}

  async execute(): Promise<PlacementSettingsView> {
    return toPlacementSettingsView(await this.settings.get());
  }
}
