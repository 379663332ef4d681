import type { ObjectLiteral, Repository } from 'typeorm';

/**
 * Reads one `select: false` column (a sealed secret) of one row: such columns stay out of every ordinary
 * query, and this is the single way they are read back.
 */
export async function readHidden<T extends ObjectLiteral & { id: string }, K extends keyof T & string>(
  repo: Repository<T>,
  id: string,
  column: K,
): Promise<T[K] | null> {
  const row = await repo.createQueryBuilder('e').addSelect(`e.${column}`).where('e.id = :id', { id }).getOne();
  return row?.[column] ?? null;
}
