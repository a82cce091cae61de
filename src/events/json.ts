/**
 * Finds the first value under `value` that JSON cannot carry exactly, and says where it is.
 * Returns undefined when the whole value round-trips through JSON unchanged.
 * Refused: functions, symbols, BigInt, NaN and the infinities, undefined in arrays, cycles,
 * and objects other than plain objects and arrays (a Date or a Map would come back as something else).
 */
export function findNonJson(value: unknown, path: string): string | undefined {
  return walk(value, path, new Set());
}

function walk(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path}: ${value} is not a finite number`;
    case 'bigint':
      return `${path}: BigInt ${value}n cannot be stored as JSON (use a string or a safe integer)`;
    case 'function':
      return `${path}: a function cannot be stored as JSON`;
    case 'symbol':
      return `${path}: a symbol cannot be stored as JSON`;
    case 'undefined':
      return `${path}: undefined cannot be stored as JSON`;
    case 'object':
      return walkObject(value, path, seen);
  }
}

function walkObject(value: object | null, path: string, seen: Set<object>): string | undefined {
  if (value === null) return undefined;
  if (seen.has(value)) return `${path}: a cycle (the value refers to itself)`;
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) {
      const problem = walk(value[i], `${path}[${i}]`, seen);
      if (problem) return problem;
    }
    seen.delete(value);
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return `${path}: a ${name} is not a plain object and would not come back from JSON as it went in`;
  }
  seen.add(value);
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    // An undefined property is simply absent in JSON, which is what it means in TypeScript too.
    if (child === undefined) continue;
    const problem = walk(child, `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}
