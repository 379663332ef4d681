/**
 * Backups outlive their database for the retention period, so that a mistaken or malicious delete (a leaked key)
 * cannot take the data and its backups at once. Purging them earlier needs the database's name typed back as
 * `confirm` (as fencing a host asks for the host's name); the request, with it, is in the audit log.
 * Returns why a purge is refused, or null when it is confirmed.
 */
export function purgeRefusal(databaseName: string, confirm: string | undefined): string | null {
  if (confirm === undefined || confirm === '')
    return `purging backups before their retention ends needs confirm=<the database's name> ("${databaseName}")`;
  if (confirm !== databaseName)
    return `confirm must be the database's name ("${databaseName}") to purge its backups before their retention ends`;
  return null;
}
