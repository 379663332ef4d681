import type { DatabaseRepository } from '../../ports';

/** Database names by id, for views that name what they move. */
export async function databaseNames(databases: DatabaseRepository): Promise<Map<string, string>> {
  return new Map((await databases.list({})).map((d) => [d.id, d.name]));
}
