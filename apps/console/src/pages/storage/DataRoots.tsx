import type { HostDataRoot } from '../../api/types';
import { Meter } from '../../components/Meter';
import { EmptyRow, Table } from '../../components/Table';
import { bytes } from '../../format';
import { href } from '../../hooks/useHashRoute';

/** Free space where each host keeps its volumes (a directory, or the LUNs' mount points). */
export function DataRoots({ hosts }: { hosts: HostDataRoot[] }) {
  return (
    <Table label="Data roots">
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">Driver</th>
          <th scope="col">Data root</th>
          <th scope="col" className="wide">
            Space
          </th>
        </tr>
      </thead>
      <tbody>
        {hosts.length === 0 && <EmptyRow cols={4}>No hosts.</EmptyRow>}
        {hosts.map((h) => (
          <tr key={h.hostId}>
            <th scope="row">
              <a href={href('hosts', h.hostId)}>{h.name}</a>
            </th>
            <td>{h.driver}</td>
            <td className="mono small">{h.dataRoot}</td>
            <td className="wide">
              {h.error ? (
                <span className="op-error">{h.error}</span>
              ) : h.sizeBytes !== null && h.freeBytes !== null ? (
                <Meter
                  label={`${h.name} data root`}
                  used={h.sizeBytes - h.freeBytes}
                  total={h.sizeBytes}
                  text={`${bytes(h.freeBytes)} free of ${bytes(h.sizeBytes)}`}
                  testId={`dataroot-${h.name}`}
                />
              ) : (
                <span className="muted">unknown</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
