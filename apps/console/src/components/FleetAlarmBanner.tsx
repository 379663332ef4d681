import { api } from '../api/client';
import { usePoll } from '../hooks/usePoll';

/**
 * On every page while the failover worker's brake is on: nothing is fenced automatically, and the hosts it
 * cannot reach are listed with why. Operators fence host by host from each host's page.
 */
export function FleetAlarmBanner() {
  const { data } = usePoll(() => api.fleetAlarm(), 5000);
  if (!data?.raised) return null;
  return (
    <div className="note note-bad fleet-alarm" role="alert" data-testid="fleet-alarm">
      <strong>Automatic fencing stopped.</strong> {data.message}
      {data.hosts.length > 0 && (
        <ul>
          {data.hosts.map((h) => (
            <li key={h.id}>
              <a href={`#/hosts/${h.id}`}>{h.name}</a>: {h.reason}
            </li>
          ))}
        </ul>
      )}
      <p>Check each host, then fence it from its page (or let it back when it answers again).</p>
    </div>
  );
}
