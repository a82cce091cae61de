/** The columns of the bank's views as PostgreSQL returns them: bigints as text, read back as exact numbers. */
export const int = (value: unknown): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${String(value)} is not a safe integer`);
  return n;
};

/** `unnest` arrays, one per column, from rows. */
export function columns<Row, K extends keyof Row>(rows: readonly Row[], keys: readonly K[]): Row[K][][] {
  return keys.map((k) => rows.map((r) => r[k]));
}
