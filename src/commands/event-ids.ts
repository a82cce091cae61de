import { createHash } from 'node:crypto';

/**
 * The id of the `index`-th event a command with this idempotency key emits on this stream: the same inputs
 * always give the same id (a UUID of version 8 built from SHA-256), so a retried command's events collide
 * with the first ones instead of being stored twice.
 */
export function deriveEventId(idempotencyKey: string, streamId: string, index: number): string {
  const hex = createHash('sha256').update(`${streamId}\u0000${idempotencyKey}\u0000${index}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A fingerprint of a command, so a key reused with another command is told apart from a retry. */
export function commandFingerprint(command: unknown): string {
  return createHash('sha256').update(stableJson(command)).digest('base64url').slice(0, 22);
}

// Key order must not matter: the same command built in another order is the same command.
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
