import type pg from 'pg';
import { appendersLockClass, migrationsLockClass, positionsLockClass, schemaLockKey } from './locks.js';
import { appendChannel } from './notifications.js';

/** The advisory lock keys a schema's SQL embeds (see locks.ts), and the channel its appends are announced on. */
interface SchemaLocks {
  positions: readonly [number, number];
  appenders: number;
  channel: string;
}

/** A migration is SQL written for one schema: `s` is the schema name, quoted. */
interface Migration {
  version: number;
  name: string;
  sql(s: string, locks: SchemaLocks): string;
}

/**
 * The PostgreSQL schema, as numbered migrations. Each runs once, in order, in one transaction that holds an
 * advisory lock on the schema, so stores starting at once apply each exactly once. docs/postgres.md explains
 * the columns, the functions and why they make a reader of the log safe.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    sql: (s, locks) => `
      CREATE SEQUENCE ${s}.event_positions AS bigint;
      CREATE TABLE ${s}.events (
        position       bigint      NOT NULL DEFAULT nextval('${s}.event_positions'),
        id             text        NOT NULL,
        stream_id      text        NOT NULL,
        stream_version bigint      NOT NULL,
        type           text        NOT NULL,
        schema_version integer     NOT NULL DEFAULT 1,
        data           json        NOT NULL,
        metadata       json        NOT NULL DEFAULT '{}',
        recorded_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT events_position_key PRIMARY KEY (position),
        CONSTRAINT events_id_key UNIQUE (id),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
      );
      ALTER SEQUENCE ${s}.event_positions OWNED BY ${s}.events.position;

      CREATE FUNCTION ${s}.appender_lock_key(transaction_id xid8) RETURNS integer
      LANGUAGE sql IMMUTABLE AS $$
        SELECT (transaction_id::text::bigint % 4294967296 - 2147483648)::integer
      $$;

      -- Takes an append's transaction id and positions together under a short lock, so transaction id order
      -- is position order; and marks the transaction as an appender of this schema until it ends.
      CREATE FUNCTION ${s}.take_positions(count integer,
        OUT transaction_id xid8, OUT last_position bigint, OUT taken_at timestamptz)
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_lock(${locks.positions[0]}, ${locks.positions[1]});
        transaction_id := pg_current_xact_id();
        PERFORM pg_advisory_xact_lock(${locks.appenders}, ${s}.appender_lock_key(transaction_id));
        last_position := setval('${s}.event_positions', nextval('${s}.event_positions') + count - 1);
        taken_at := date_trunc('milliseconds', clock_timestamp());
        PERFORM pg_advisory_unlock(${locks.positions[0]}, ${locks.positions[1]});
        -- Past 2^53 - 1 a JavaScript number is no longer exact: refuse here, so the append never commits.
        IF last_position > 9007199254740991 THEN
          RAISE EXCEPTION 'position % is past 2^53 - 1', last_position
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = last_position::text;
        END IF;
      END $$;

      -- The oldest appender of this schema still running, or the snapshot's xmax when none is: every row
      -- with a smaller transaction id is final. Read rows below it in a later statement (a newer snapshot).
      CREATE FUNCTION ${s}.read_frontier() RETURNS xid8
      LANGUAGE sql VOLATILE AS $$
        SELECT coalesce(min(running), pg_snapshot_xmax(pg_current_snapshot()))
        FROM pg_snapshot_xip(pg_current_snapshot()) AS running
        WHERE NOT pg_try_advisory_xact_lock_shared(${locks.appenders}, ${s}.appender_lock_key(running))
      $$;

      CREATE FUNCTION ${s}.refuse_event_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are immutable: % is not allowed on %.events', TG_OP, TG_TABLE_SCHEMA
          USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER events_are_immutable BEFORE UPDATE OR DELETE ON ${s}.events
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_event_changes();
      CREATE TRIGGER events_are_immutable_truncate BEFORE TRUNCATE ON ${s}.events
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_event_changes();
    `,
  },
  {
    version: 2,
    name: 'snapshots',
    sql: (s) => `
      CREATE TABLE ${s}.snapshots (
        stream_id      text        NOT NULL,
        name           text        NOT NULL,
        shape_version  integer     NOT NULL,
        stream_version bigint      NOT NULL,
        position       bigint      NOT NULL,
        recorded_at    timestamptz NOT NULL,
        state          json        NOT NULL,
        taken_at       timestamptz NOT NULL,
        PRIMARY KEY (stream_id, name, shape_version, stream_version)
      );
    `,
  },
  {
    version: 3,
    name: 'projections',
    sql: (s) => `
      CREATE SEQUENCE ${s}.projection_copy_numbers AS integer;
      CREATE TABLE ${s}.projections (
        name        text    PRIMARY KEY,
        active_copy integer
      );
      CREATE TABLE ${s}.projection_copies (
        name       text        NOT NULL,
        copy       integer     NOT NULL,
        version    integer     NOT NULL,
        position   bigint      NOT NULL DEFAULT 0,
        temporary  boolean     NOT NULL DEFAULT false,
        tables     text[]      NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (name, copy)
      );
      CREATE TABLE ${s}.projection_skips (
        name     text        NOT NULL,
        position bigint      NOT NULL,
        event_id text        NOT NULL,
        error    text        NOT NULL,
        actor    text        NOT NULL,
        reason   text        NOT NULL,
        at       timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'append notifications',
    // Once per inserting statement, so once per append; sent by PostgreSQL when the append commits, and not at
    // all when it rolls back. An append that overlaps others of its store skips it (hindsight.announce = off) and
    // is announced after COMMIT instead: see notifications.ts.
    sql: (s, { channel }) => `
      CREATE FUNCTION ${s}.announce_append() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('hindsight.announce', true), '') <> 'off' THEN
          PERFORM pg_notify('${channel}', '');
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER events_announce_append AFTER INSERT ON ${s}.events
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.announce_append();
    `,
  },
  {
    version: 5,
    name: 'append in one statement',
    // The whole append as one statement, so it is one round trip and its locks are never held while the client
    // thinks: lock the streams (keys in order), read their versions and any stored event sharing an id, and
    // write only when the TypeScript rules (plan.ts) would: no id stored, every expected version met, no version
    // past 2^53 - 1. Otherwise it writes nothing and returns what it read, and plan.ts decides (a retry's first
    // result, or the caller's error). Expected versions: -1 any, -2 stream_exists, else the exact version
    // (0 is no_stream). The function's plans are cached per connection; enable_seqscan is off inside it so that
    // a plan made while the table was small can never be a scan of the whole table that stays as the log grows
    // (the lookups have their unique indexes; the insert reads only its arrays).
    sql: (s) => `
      CREATE FUNCTION ${s}.append_events(lock_keys bigint[], stream_ids text[], expected bigint[], counts integer[],
        ids text[], stream_indexes integer[], offsets integer[], types text[], schema_versions integer[],
        data text[], metadata text[], announce boolean)
      RETURNS TABLE (r_id text, r_stream_id text, r_version text, r_position text, r_type text, r_data text)
      LANGUAGE plpgsql SET enable_seqscan = off AS $fn$
      DECLARE
        k bigint;
        versions bigint[];
        declined boolean;
        taken record;
      BEGIN
        IF NOT announce THEN
          PERFORM set_config('hindsight.announce', 'off', true);
        END IF;
        FOREACH k IN ARRAY lock_keys LOOP
          PERFORM pg_advisory_xact_lock(k);
        END LOOP;
        SELECT array_agg(coalesce((SELECT max(e.stream_version) FROM ${s}.events e
            WHERE e.stream_id = w.stream_id), 0) ORDER BY w.n)
          INTO versions FROM unnest(stream_ids) WITH ORDINALITY AS w(stream_id, n);
        RETURN QUERY SELECT e.id, e.stream_id, e.stream_version::text, e.position::text, e.type, e.data::text
          FROM ${s}.events e WHERE e.id = ANY(ids);
        declined := FOUND;
        IF NOT declined THEN
          SELECT coalesce(bool_or(x.version + x.count > 9007199254740991
              OR NOT (x.expected = -1 OR (x.expected = -2 AND x.version > 0) OR x.expected = x.version)), false)
            INTO declined
            FROM unnest(expected, counts, versions) AS x(expected, count, version);
        END IF;
        RETURN QUERY SELECT NULL::text, w.stream_id, w.version::text, NULL::text, NULL::text, NULL::text
          FROM unnest(stream_ids, versions) AS w(stream_id, version);
        IF declined THEN
          RETURN;
        END IF;
        SELECT * INTO taken FROM ${s}.take_positions(cardinality(ids));
        INSERT INTO ${s}.events (position, transaction_id, recorded_at,
          id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT taken.last_position - cardinality(ids) + e.n, taken.transaction_id, taken.taken_at,
          e.id, stream_ids[e.i], versions[e.i] + e.o, e.type, e.sv, e.d::json, e.m::json
        FROM unnest(ids, stream_indexes, offsets, types, schema_versions, data, metadata)
          WITH ORDINALITY AS e(id, i, o, type, sv, d, m, n);
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, taken.last_position::text, NULL::text, NULL::text;
      END $fn$;
    `,
  },
  {
    version: 6,
    name: 'head in one statement',
    // The frontier, then the last row below it, as two statements of one call: in READ COMMITTED each statement
    // of a volatile function takes a new snapshot, which is all the two-statement read needs (docs/postgres.md),
    // in one round trip. Under another isolation level the two would share a snapshot, so it answers NULL and
    // the store asks in two calls.
    sql: (s) => `
      CREATE FUNCTION ${s}.read_head() RETURNS bigint
      LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $fn$
      DECLARE
        frontier xid8;
        head bigint;
      BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
          RETURN NULL;
        END IF;
        SELECT ${s}.read_frontier() INTO frontier;
        SELECT e.position INTO head FROM ${s}.events e
          WHERE e.transaction_id < frontier ORDER BY e.position DESC LIMIT 1;
        RETURN coalesce(head, 0);
      END $fn$;
    `,
  },
  {
    version: 7,
    name: 'generic plans in the append and head functions',
    // PL/pgSQL plans each statement for its arguments until it settles on a generic plan, and with arrays as
    // arguments it kept planning: planning was a fifth of the server's time per append (perf), and the whole
    // function cost 350 µs of backend CPU against 185 µs with generic plans. With enable_seqscan off (above) a
    // generic plan is an index plan whatever the table's size when it was made.
    sql: (s) => `
      ALTER FUNCTION ${s}.append_events(bigint[], text[], bigint[], integer[], text[], integer[], integer[], text[],
        integer[], text[], text[], boolean) SET plan_cache_mode = force_generic_plan;
      ALTER FUNCTION ${s}.read_head() SET plan_cache_mode = force_generic_plan;
    `,
  },
  {
    version: 8,
    name: 'group commit: many appends in one statement',
    // Many independent appends (members) in one transaction, each checked on its own, as append_events checks
    // one: a member with an id already stored, an expected version not met, or a version past 2^53 - 1 writes
    // nothing, and the others still write. Members are decided in order against versions that include the
    // members written before them, so appends to one stream chain within a batch. Positions are taken once for
    // the whole batch (one take_positions per transaction keeps transaction id order equal to position order,
    // which readers rely on). Entries are the members' streams: entry_members says whose, entry_streams which
    // of stream_ids; events point at their entry. What it read comes back as append_events returns it, and the
    // last row carries the last position and the written members, so the client decides each member with
    // plan.ts and checks that both agree.
    sql: (s) => `
      CREATE FUNCTION ${s}.append_batch(lock_keys bigint[], stream_ids text[], entry_members integer[],
        entry_streams integer[], expected bigint[], counts integer[], ids text[], event_entries integer[],
        offsets integer[], types text[], schema_versions integer[], data text[], metadata text[], announce boolean)
      RETURNS TABLE (r_id text, r_stream_id text, r_version text, r_position text, r_type text, r_data text)
      LANGUAGE plpgsql SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
      DECLARE
        k bigint;
        versions bigint[];
        stored_members integer[];
        bases bigint[];
        skips integer[];
        written integer[] := '{}';
        entries integer := cardinality(entry_members);
        first_entry integer := 1;
        last_entry integer;
        member integer;
        x integer;
        ok boolean;
        total integer := 0;
        taken record;
      BEGIN
        IF NOT announce THEN
          PERFORM set_config('hindsight.announce', 'off', true);
        END IF;
        FOREACH k IN ARRAY lock_keys LOOP
          PERFORM pg_advisory_xact_lock(k);
        END LOOP;
        SELECT array_agg(coalesce((SELECT max(e.stream_version) FROM ${s}.events e
            WHERE e.stream_id = w.stream_id), 0) ORDER BY w.n)
          INTO versions FROM unnest(stream_ids) WITH ORDINALITY AS w(stream_id, n);
        RETURN QUERY SELECT e.id, e.stream_id, e.stream_version::text, e.position::text, e.type, e.data::text
          FROM ${s}.events e WHERE e.id = ANY(ids);
        RETURN QUERY SELECT NULL::text, w.stream_id, w.version::text, NULL::text, NULL::text, NULL::text
          FROM unnest(stream_ids, versions) AS w(stream_id, version);
        SELECT coalesce(array_agg(DISTINCT entry_members[ev.entry]), '{}') INTO stored_members
          FROM unnest(ids, event_entries) AS ev(id, entry)
          WHERE EXISTS (SELECT 1 FROM ${s}.events e WHERE e.id = ev.id);
        bases := array_fill(NULL::bigint, ARRAY[entries]);
        skips := array_fill(0, ARRAY[entries]);
        WHILE first_entry <= entries LOOP
          member := entry_members[first_entry];
          last_entry := first_entry;
          WHILE last_entry < entries AND entry_members[last_entry + 1] = member LOOP
            last_entry := last_entry + 1;
          END LOOP;
          ok := NOT (member = ANY(stored_members));
          FOR x IN first_entry..last_entry LOOP
            IF versions[entry_streams[x]] + counts[x] > 9007199254740991 OR NOT (expected[x] = -1
                OR (expected[x] = -2 AND versions[entry_streams[x]] > 0)
                OR expected[x] = versions[entry_streams[x]]) THEN
              ok := false;
            END IF;
          END LOOP;
          IF ok THEN
            FOR x IN first_entry..last_entry LOOP
              bases[x] := versions[entry_streams[x]];
              versions[entry_streams[x]] := bases[x] + counts[x];
              skips[x] := total;
              total := total + counts[x];
            END LOOP;
            written := written || member;
          END IF;
          first_entry := last_entry + 1;
        END LOOP;
        IF total = 0 THEN
          RETURN;
        END IF;
        SELECT * INTO taken FROM ${s}.take_positions(total);
        INSERT INTO ${s}.events (position, transaction_id, recorded_at,
          id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT taken.last_position - total + skips[e.entry] + e.o, taken.transaction_id, taken.taken_at,
          e.id, stream_ids[entry_streams[e.entry]], bases[e.entry] + e.o, e.type, e.sv, e.d::json, e.m::json
        FROM unnest(ids, event_entries, offsets, types, schema_versions, data, metadata)
          AS e(id, entry, o, type, sv, d, m)
        WHERE bases[e.entry] IS NOT NULL;
        RETURN QUERY SELECT NULL::text, NULL::text, total::text, taken.last_position::text, NULL::text,
          array_to_string(written, ',');
      END $fn$;
    `,
  },
];

/** Creates the schema if it is missing and applies the migrations it has not seen yet. */
export async function migrate(pool: pg.Pool, schema: string, s: string): Promise<void> {
  const key = schemaLockKey(schema);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [migrationsLockClass, key]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS would still need the right to create schemas.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.hindsight_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${s}.hindsight_migrations`);
    const seen = new Set(applied.rows.map((r) => r.version));
    for (const m of migrations) {
      if (seen.has(m.version)) continue;
      await client.query(
        m.sql(s, {
          positions: [positionsLockClass, key],
          appenders: appendersLockClass(schema),
          channel: appendChannel(schema),
        }),
      );
      await client.query(`INSERT INTO ${s}.hindsight_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
