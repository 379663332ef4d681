import { Init1795300000000 } from './1795300000000-Init';
import { SanStorage1795400000000 } from './1795400000000-SanStorage';
import { HighAvailability1795500000000 } from './1795500000000-HighAvailability';
import { DataMobility1795600000000 } from './1795600000000-DataMobility';
import { AdminConsole1795700000000 } from './1795700000000-AdminConsole';
import { PlacementAndLimits1795800000000 } from './1795800000000-PlacementAndLimits';
import { HostKeys1795870000000 } from './1795870000000-HostKeys';
import { FenceAgents1795890000000 } from './1795890000000-FenceAgents';
import { HostActiveSince1795895000000 } from './1795895000000-HostActiveSince';
import { DrbdFencing1795900000000 } from './1795900000000-DrbdFencing';
import { PrivilegeModel1795910000000 } from './1795910000000-PrivilegeModel';
import { PlanEgress1795920000000 } from './1795920000000-PlanEgress';
import { TrustedBackups1795930000000 } from './1795930000000-TrustedBackups';
import { AllowedCidrs1795940000000 } from './1795940000000-AllowedCidrs';
import { VolumeQuota1795960000000 } from './1795960000000-VolumeQuota';
import { CaRotation1795970000000 } from './1795970000000-CaRotation';
import { FailoverRoundTrips1795980000000 } from './1795980000000-FailoverRoundTrips';
import { Tls1795950000000 } from './1795950000000-Tls';

// Listed explicitly (not globbed) so they survive bundling into dist/.
export const MIGRATIONS = [
  Init1795300000000,
  SanStorage1795400000000,
  HighAvailability1795500000000,
  DataMobility1795600000000,
  AdminConsole1795700000000,
  PlacementAndLimits1795800000000,
  HostKeys1795870000000,
  FenceAgents1795890000000,
  HostActiveSince1795895000000,
  DrbdFencing1795900000000,
  PrivilegeModel1795910000000,
  PlanEgress1795920000000,
  TrustedBackups1795930000000,
  AllowedCidrs1795940000000,
  Tls1795950000000,
  VolumeQuota1795960000000,
  CaRotation1795970000000,
  FailoverRoundTrips1795980000000,
];
