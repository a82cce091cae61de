import * as z from 'zod/v4/core';
import type { FieldPath } from '../events/errors.js';

/** One thing a schema found wrong, with the field it is about. */
export interface SchemaIssue {
  path: FieldPath;
  message: string;
}

/** Checks `data` against `schema`: its output (defaults filled in, unknown keys dropped) or the issues found. */
export function parseWith(
  schema: z.$ZodType,
  data: unknown,
): { ok: true; data: unknown } | { ok: false; issues: SchemaIssue[] } {
  const result = z.safeParse(schema, data);
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
      message: issue.message,
    })),
  };
}

/** `data.amount.value`, `data.lines[0].sku`: a field path as the other errors of Hindsight spell it. */
export function fieldName(path: FieldPath): string {
  let name = 'data';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : `.${key}`;
  return name;
}

/** Every issue as `field: problem`, joined for a one-line message. */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `${fieldName(issue.path)}: ${issue.message}`).join('; ');
}
