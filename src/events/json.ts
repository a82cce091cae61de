/** How deep data may nest: deeper than any real event, shallow enough never to exhaust the stack. */
export const maxJsonDepth = 256;

/**
 * Finds the first value under `value` that JSON cannot carry exactly, and says where it is.
 * Returns undefined when the whole value round-trips through JSON unchanged.
 * Refused: functions, symbols, BigInt, NaN and the infinities, undefined in arrays, cycles, nesting deeper than
 * `maxJsonDepth`, and objects other than plain objects and arrays (a Date or a Map would come back as something else).
 */
export function findNonJson(value: unknown, path: string): string | undefined {
  const problem = walk(value, new Set());
  if (!problem) return undefined;
  // The path is built only on the way out of a failure, so the common case allocates no strings.
  return `${path}${problem.path.reverse().join('')}: ${problem.message}`;
}

interface Problem {
  message: string;
  path: string[];
}

const problem = (message: string): Problem => ({ message, path: [] });

function walk(value: unknown, seen: Set<object>): Problem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : problem(`${value} is not a finite number`);
    case 'bigint':
      return problem(`BigInt ${value}n cannot be stored as JSON (use a string or a safe integer)`);
    case 'function':
      return problem('a function cannot be stored as JSON');
    case 'symbol':
      return problem('a symbol cannot be stored as JSON');
    case 'undefined':
      return problem('undefined cannot be stored as JSON');
    case 'object':
      return walkObject(value, seen);
  }
}

function walkObject(value: object | null, seen: Set<object>): Problem | undefined {
  if (value === null) return undefined;
  if (seen.has(value)) return problem('a cycle (the value refers to itself)');
  if (seen.size >= maxJsonDepth) return problem(`nested deeper than ${maxJsonDepth} levels`);
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], seen);
      if (found) {
        found.path.push(`[${i}]`);
        return found;
      }
    }
    seen.delete(value);
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return problem(`a ${name} is not a plain object and would not come back from JSON as it went in`);
  }
  seen.add(value);
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    // An undefined property is simply absent in JSON, which is what it means in TypeScript too.
    if (child === undefined) continue;
    const found = walk(child, seen);
    if (found) {
      found.path.push(`.${key}`);
      return found;
    }
  }
  seen.delete(value);
  return undefined;
}
