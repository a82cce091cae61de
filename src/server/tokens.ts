import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../events/errors.js';

/** What a token may do: `reader` GETs, `writer` also appends and runs commands, `admin` also operations. */
export type Role = 'reader' | 'writer' | 'admin';

const rank: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };

/**
 * True when a caller holding `held` may do what needs `needed`.
 *
 * @example
 * roleAllows('admin', 'writer'); // true
 */
export function roleAllows(held: Role, needed: Role): boolean {
  return rank[held] >= rank[needed];
}

/** One bearer token and who it speaks for. */
export interface AccessToken {
  token: string;
  /** Recorded as `metadata.actor` on every event appended with this token. */
  actor: string;
  role: Role;
}

const tokenPattern = /^[\x21-\x7e]{16,200}$/;
const actorPattern = /^[^\s:,][^:,]{0,99}$/u;

/**
 * Parses `HINDSIGHT_TOKENS`: `token:actor:role` entries separated by commas. Throws `InvalidArgument` naming
 * the entry at fault (by its index and actor, never by its token).
 *
 * @example
 * parseTokens('s3cret-reader-token-1:alice:reader,s3cret-admin-token-22:ops:admin');
 */
export function parseTokens(text: string): AccessToken[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    throw new InvalidInputError(
      'InvalidArgument',
      'HINDSIGHT_TOKENS',
      'is set but holds no token:actor:role entry',
    );
  }
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const parts = entry.split(':');
    const where = `HINDSIGHT_TOKENS entry ${i + 1}`;
    if (parts.length !== 3) {
      throw new InvalidInputError('InvalidArgument', where, 'must be token:actor:role (three parts)');
    }
    const [token, actor, role] = parts as [string, string, string];
    if (!tokenPattern.test(token)) {
      throw new InvalidInputError(
        'InvalidArgument',
        `${where} (actor ${actor})`,
        'the token must be 16 to 200 printable ASCII characters, without spaces',
      );
    }
    if (!actorPattern.test(actor)) {
      throw new InvalidInputError(
        'InvalidArgument',
        where,
        'the actor must be 1 to 100 characters, no spaces at the start',
      );
    }
    if (role !== 'reader' && role !== 'writer' && role !== 'admin') {
      throw new InvalidInputError(
        'InvalidArgument',
        `${where} (actor ${actor})`,
        `role must be reader, writer or admin, got ${role}`,
      );
    }
    if (seen.has(token)) {
      throw new InvalidInputError(
        'InvalidArgument',
        `${where} (actor ${actor})`,
        'repeats the token of an earlier entry',
      );
    }
    seen.add(token);
    return { token, actor, role };
  });
}

/**
 * Looks tokens up by their SHA-256, so checking one never compares secrets character by character.
 *
 * @example
 * const caller = new TokenTable(parseTokens(process.env.HINDSIGHT_TOKENS ?? '')).find(bearer);
 */
export class TokenTable {
  private readonly byDigest = new Map<string, AccessToken>();

  constructor(tokens: readonly AccessToken[]) {
    for (const t of tokens) this.byDigest.set(digest(t.token), t);
  }

  find(token: string): AccessToken | undefined {
    return this.byDigest.get(digest(token));
  }

  get size(): number {
    return this.byDigest.size;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Where the generated admin token is kept, inside the data folder. */
export const adminTokenFile = 'admin-token';

/**
 * The admin token of a data folder: read from `<dataDir>/admin-token`, or made and written there (mode 0600)
 * on first start. `created` says which, so the server can print it the first time.
 *
 * @example
 * const { token } = loadOrCreateAdminToken('./data'); // token.role === 'admin'
 */
export function loadOrCreateAdminToken(dataDir: string): {
  token: AccessToken;
  created: boolean;
  file: string;
} {
  const file = join(dataDir, adminTokenFile);
  mkdirSync(dataDir, { recursive: true });
  const fresh = `hs_${randomBytes(24).toString('base64url')}`;
  let created = true;
  try {
    // 'wx': two servers starting at once on one folder keep the same token, not the last one written.
    writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  // Someone may have loosened it by hand; the token grants everything, so only the owner may read it.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  if (!tokenPattern.test(token)) {
    throw new InvalidInputError(
      'InvalidArgument',
      file,
      'does not hold a valid token; delete it to make a new one',
    );
  }
  return { token: { token, actor: 'admin', role: 'admin' }, created, file };
}
