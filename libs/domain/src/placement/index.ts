// Pure placement logic of the fleet (no I/O, no Nest): online placement, hotspot rebalancing, N+1 checks.
export {
  allocatable,
  FAILURE_DOMAIN_LABELS,
  fitsWithin,
  hypervisorOf,
  RESOURCES,
  sharesFailureDomain,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Measured,
  type Overcommit,
  type Resource,
  type Resources,
} from './fleet';
export {
  isPlacement,
  lowerBound,
  lowerBounds,
  placeDatabase,
  Placer,
  promised,
  type Placement,
  type PlacementFailure,
  type PlacementFailureCode,
  type PlacementResult,
  type PlaceRequest,
} from './place';
export {
  hostLoads,
  proposeRebalance,
  volume,
  type HostLoad,
  type HotspotThresholds,
  type RebalanceMove,
  type RebalanceOptions,
  type RebalancePlan,
} from './rebalance';
export { containerRoom, holdsOne, hostShortfall, planFit, type PlanDemand, type PlanFit } from './plan-fit';
export { nPlusOne, simulateHostLoss, type HostLoss, type LossPlacement } from './n-plus-one';
