import pg from 'pg';

/**
 * A connection of its own, configured like the store's pool: for work that must outlive a pooled checkout
 * (a LISTEN, a session advisory lock). The caller ends it.
 */
export function dedicatedClient(pool: pg.Pool): pg.Client {
  const options = pool.options;
  // The pool keeps the password and an ssl key as non-enumerable properties, which a spread would drop.
  const ssl =
    options.ssl && typeof options.ssl === 'object' ? { ...options.ssl, key: options.ssl.key } : options.ssl;
  return new pg.Client({ ...options, password: options.password, ssl, keepAlive: true });
}
