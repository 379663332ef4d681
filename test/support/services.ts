import { readFileSync } from 'node:fs';

/** The services `scripts/services.sh up` started (PostgreSQL, Redis, dockerd, registry), as it recorded them. */
export function servicesEnv(): Record<string, string> {
  const file = process.env.DBAAS_SERVICES_ENV ?? '/var/lib/dbaas/services.env';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run \`bash scripts/services.sh up\` (npm test does it for you)`);
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
