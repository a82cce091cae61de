import { InvalidInputError } from '../events/errors.js';

const plainIdentifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
// PostgreSQL truncates identifiers past 63 bytes, which would silently put two stores in one schema.
const maxIdentifierBytes = 63;

/**
 * Checks a schema name: letters, digits and underscores, not starting with a digit, at most 63 characters,
 * not `pg_*` (reserved by PostgreSQL). Quoting alone would make any name safe in SQL; the check keeps names
 * that tools and people can type.
 */
export function checkSchemaName(name: unknown): string {
  if (typeof name !== 'string' || !plainIdentifier.test(name)) {
    throw new InvalidInputError(
      'InvalidArgument',
      'schema',
      `must be letters, digits and underscores, not starting with a digit; got ${JSON.stringify(name)}`,
    );
  }
  if (name.length > maxIdentifierBytes) {
    throw new InvalidInputError('InvalidArgument', 'schema', `is ${name.length} characters; at most 63`);
  }
  if (name.toLowerCase().startsWith('pg_')) {
    throw new InvalidInputError(
      'InvalidArgument',
      'schema',
      'names starting with pg_ are reserved by PostgreSQL',
    );
  }
  return name;
}

/** Quotes an identifier for SQL: `"name"`, with any quote inside doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
