import type { StorageBackend } from '../../api/types';
import { Meter } from '../../components/Meter';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { bytes, gb, shortId } from '../../format';
import { href } from '../../hooks/useHashRoute';

/** One storage server: its volume group's fill, and the LUNs carved from it. */
export function BackendCard({ backend: b }: { backend: StorageBackend }) {
  const headingId = `backend-${b.id}`;
  return (
    <section className="card" aria-labelledby={headingId} data-testid={`backend-${b.name}`}>
      <h3 id={headingId} className="card-title">
        {b.name}{' '}
        <span className="muted small">
          portal <span className="mono">{b.portalAddress}</span> · VG <span className="mono">{b.volumeGroup}</span>
          {b.thinPool && (
            <>
              {' '}
              · thin pool <span className="mono">{b.thinPool}</span>
            </>
          )}
        </span>
      </h3>
      {b.error && (
        <p className="note note-bad" role="alert">
          {b.error}
        </p>
      )}
      {b.vg ? (
        <Meter
          label={`Volume group ${b.volumeGroup}`}
          used={b.vg.sizeBytes - b.vg.freeBytes}
          total={b.vg.sizeBytes}
          text={`${bytes(b.vg.sizeBytes - b.vg.freeBytes)} used of ${bytes(b.vg.sizeBytes)}, ${bytes(b.vg.freeBytes)} free · ${b.vg.lvCount} LVs`}
          testId={`vg-${b.name}`}
        />
      ) : (
        !b.error && <p className="muted">Volume group size unknown.</p>
      )}
      {b.pool && (
        // Thin LUNs take space as written: the pool's fill is what can run out, not the LUNs' sizes.
        <Meter
          label={`Thin pool ${b.thinPool ?? ''}`}
          used={b.pool.usedBytes}
          total={b.pool.sizeBytes}
          text={`${bytes(b.pool.usedBytes)} written of ${bytes(b.pool.sizeBytes)}`}
          testId={`pool-${b.name}`}
        />
      )}
      <Table label={`LUNs of ${b.name}`}>
        <thead>
          <tr>
            <th scope="col">LUN</th>
            <th scope="col">IQN</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">State</th>
            <th scope="col">Attached to</th>
            <th scope="col">Database</th>
          </tr>
        </thead>
        <tbody>
          {b.luns.length === 0 && <EmptyRow cols={6}>No LUNs.</EmptyRow>}
          {b.luns.map((l) => (
            <tr key={l.id}>
              <th scope="row" className="mono">
                {l.name}
              </th>
              <td className="mono small">{l.iqn}</td>
              <td className="num">{gb(l.sizeGb)}</td>
              <td>{l.status ? <StatusBadge status={l.status} /> : '—'}</td>
              <td>
                {l.hostId ? (
                  <a href={href('hosts', l.hostId)}>{l.hostName ?? shortId(l.hostId)}</a>
                ) : (
                  <span className="muted">detached</span>
                )}
              </td>
              <td>
                {l.databaseId ? (
                  <a href={href('databases', l.databaseId)} className="mono">
                    {shortId(l.databaseId)}
                  </a>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
