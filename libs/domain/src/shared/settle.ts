/**
 * Like Promise.all, but rejects only once every promise settled (with the first rejection): steps run side by side
 * are all over before a failure is reported, so a retry never runs beside a step of the attempt that failed.
 */
export async function settleAll<T extends readonly unknown[]>(
  ps: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const done = await Promise.allSettled(ps);
  const failed = done.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return done.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
