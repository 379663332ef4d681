import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import { Command } from '../../../shared';

/** What operators may change in the placement policy; omitted fields keep their value. */
export class UpdatePlacementSettingsCommand extends Command {
  /** How many times a host's CPUs may be promised (databases rarely use their whole plan at once). */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(1)
  @Max(64)
  cpuOvercommit?: number;

  /** Memory is not compressible: at most 4×, and 1 (no overcommit) is the safe default. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(1)
  @Max(4)
  memoryOvercommit?: number;

  /** Thin-provisioned disks may be promised beyond their size, up to 16×. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(1)
  @Max(16)
  diskOvercommit?: number;

  /** A host whose measured CPU use passes this fraction of its CPUs is a hotspot. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 3 })
  @Min(0.05)
  @Max(1)
  hotspotCpu?: number;

  /** A host whose measured memory use passes this fraction of its memory is a hotspot. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 3 })
  @Min(0.05)
  @Max(1)
  hotspotMemory?: number;
}
