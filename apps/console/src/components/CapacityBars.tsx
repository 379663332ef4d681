import type { Used } from '../api/types';
import { gb, mb } from '../format';
import { Meter } from './Meter';

interface CapacityBarsProps {
  host: string;
  cpus: Used;
  memoryMb: Used;
  diskGb: Used;
}

const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** What the host's databases reserve against what it may give: CPU, memory, disk. */
export function CapacityBars({ host, cpus, memoryMb, diskGb }: CapacityBarsProps) {
  return (
    <div className="capacity">
      <Meter
        label="CPU"
        used={cpus.used}
        total={cpus.allocatable}
        text={`${round(cpus.used)} of ${round(cpus.allocatable)} CPUs`}
        testId={`capacity-${host}-cpu`}
      />
      <Meter
        label="Memory"
        used={memoryMb.used}
        total={memoryMb.allocatable}
        text={`${mb(memoryMb.used)} of ${mb(memoryMb.allocatable)}`}
        testId={`capacity-${host}-memory`}
      />
      <Meter
        label="Disk"
        used={diskGb.used}
        total={diskGb.allocatable}
        text={`${gb(diskGb.used)} of ${gb(diskGb.allocatable)}`}
        testId={`capacity-${host}-disk`}
      />
    </div>
  );
}
