import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * Connections the pool keeps open however long it idles: a database creation runs about seven queries at once
 * (the placement's fleet read beside the lock's connection), and each connection opened for it costs a backend
 * fork and a SCRAM handshake: 0.3-0.5 s per creation on a busy 2-core host when pg-pool had closed them all after
 * its 10 s idle timeout (`npm run bench`, issue 13). Above this, idle connections still close after 10 s.
 */
const WARM_CONNECTIONS = 10;

/** One definition for the apps, the migrate command and the tests. Never `synchronize`: migrations only. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsTransactionMode: 'each',
    extra: { max: poolSize, min: Math.min(poolSize, WARM_CONNECTIONS) },
  };
}
