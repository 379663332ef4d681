/** numeric and bigint columns come back from pg as strings: read them as numbers (our values fit a double). */
export const asNumber = {
  to: (v: number | null) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};
