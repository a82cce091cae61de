// Type-level counting for schema versions: which versions come before the current one, and which follows each.
// Versions are small (a type rarely passes a handful), so tuples of that length are cheap.

type Tuple<N extends number, Acc extends unknown[] = []> = [N] extends [never]
  ? []
  : number extends N
    ? []
    : Acc['length'] extends N
      ? Acc
      : Tuple<N, [...Acc, unknown]>;

/** The versions before `N`: `1 | 2` for 3, `never` for 1, `number` when `N` is not a literal. */
export type OlderVersions<N extends number, Acc extends unknown[] = [unknown], Out = never> = [N] extends [
  never,
]
  ? never
  : number extends N
    ? number
    : Acc['length'] extends N
      ? Out
      : OlderVersions<N, [...Acc, unknown], Out | Acc['length']>;

/** The version after `V`. */
export type NextVersion<V extends number> = [...Tuple<V>, unknown]['length'] & number;

/** A version key as a number: mapped types may see numeric keys as strings (`'1'`). */
export type VersionKey<K> = K extends number ? K : K extends `${infer V extends number}` ? V : never;

/** The shape stored under version `V` in a map of shapes by version, whichever way its key is spelt. */
export type ShapeAt<Shapes, V extends number> = V extends keyof Shapes
  ? Shapes[V]
  : `${V}` extends keyof Shapes
    ? Shapes[`${V}` & keyof Shapes]
    : never;
