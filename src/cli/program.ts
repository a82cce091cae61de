import { Command, Option } from 'commander';

/** The options of every command that opens the log. */
function withStore(command: Command): Command {
  return command
    .addOption(
      new Option('--data <dir>', 'data folder, holding events.sqlite')
        .env('HINDSIGHT_DATA')
        .default('./data'),
    )
    .addOption(
      new Option('--database-url <url>', 'use PostgreSQL at this postgres:// URL instead of SQLite').env(
        'HINDSIGHT_DATABASE_URL',
      ),
    );
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * The `hindsight` command line. Each command loads its code only when it runs, so `append` starts without
 * loading the HTTP server.
 *
 * @example
 * await createProgram().parseAsync(['node', 'hindsight', 'read', 'account-1']);
 */
export function createProgram(): Command {
  const program = new Command('hindsight')
    .description(
      'Hindsight: an event log with projections, served over HTTP, and the tools to look after it.',
    )
    .showHelpAfterError('(run with --help for usage)');

  withStore(program.command('serve'))
    .description('serve the HTTP API (log, live feed, projections) on 127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port to listen on; 0 picks a free one').env('PORT').default('3000'),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--log-level <level>', 'server log level on stderr: fatal, error, warn, info, debug', 'warn')
    .action(async (flags) => (await import('./serve.js')).serve(flags));

  withStore(program.command('append'))
    .description('append one event to a stream and print the result as JSON')
    .argument('<stream>', 'stream id, such as account-42')
    .argument('<type>', 'event type, such as MoneyDeposited')
    .argument('<json>', 'the event data as JSON, such as \'{"amount":500}\'')
    .option('--actor <name>', 'recorded as metadata.actor (default: cli:<your user name>)')
    .option('--metadata <json>', 'more metadata, a JSON object')
    .option(
      '--expected-version <version>',
      'any, no_stream, stream_exists or the version the stream must be at',
    )
    .option('--id <id>', 'event id, which makes a retry safe (generated when absent)')
    .action(async (stream, type, json, flags) =>
      (await import('./log-commands.js')).appendCommand(stream, type, json, flags),
    );

  withStore(program.command('read'))
    .description('print a stream, or the whole log, as NDJSON or a table')
    .argument('[stream]', 'stream id; the whole log when absent')
    .option('--from <n>', 'first position (log) or version (stream) to print')
    .option('--limit <n>', 'print at most this many events')
    .option('--format <format>', 'ndjson or table (default: table on a terminal, ndjson otherwise)')
    .option('--backwards', 'a stream from its last event back')
    .option('--stream-prefix <prefix>', 'log only: streams whose id starts with this')
    .option('--type <type>', 'log only: events of this type (repeatable)', collect)
    .action(async (stream, flags) => (await import('./log-commands.js')).readCommand(stream, flags));

  withStore(program.command('tail'))
    .description('print events as they are appended, until Ctrl-C')
    .option('--from <position>', 'print from this position first (default: only new events)')
    .option('--format <format>', 'ndjson or table (default: table on a terminal, ndjson otherwise)')
    .option('--stream-prefix <prefix>', 'only streams whose id starts with this')
    .option('--type <type>', 'only events of this type (repeatable)', collect)
    .action(async (flags) => (await import('./log-commands.js')).tailCommand(flags));

  withStore(program.command('state'))
    .description("a bank account's state, now or as it was at a version, a position or an instant")
    .argument('<stream>', 'the account stream')
    .option('--version <n>', 'as of this stream version')
    .option('--position <n>', 'as of this global position')
    .option('--at <instant>', 'as of this ISO-8601 instant, such as 2026-01-31T12:00:00Z')
    .action(async (stream, flags) => (await import('./state.js')).stateCommand(stream, flags));

  withStore(program.command('export'))
    .description('write the whole log as NDJSON (ids, versions, positions and times kept)')
    .option('--out <file>', 'write to this new file instead of standard output')
    .action(async (flags) => (await import('./export-import.js')).exportCommand(flags));

  withStore(program.command('import'))
    .description('load an export into an empty store, keeping ids, versions, positions and times')
    .argument('<file>', 'an NDJSON export; - for standard input')
    .action(async (file, flags) => (await import('./export-import.js')).importCommand(file, flags));

  withStore(program.command('doctor'))
    .description('check the store: schema version, head position, streams, projection checkpoints and lag')
    .option('--json', 'print the findings as JSON')
    .action(async (flags) => {
      process.exitCode = await (await import('./doctor.js')).doctorCommand(flags);
    });

  const projections = program
    .command('projections')
    .description("the service's projections: status (checkpoint and lag), or rebuild one");
  withStore(projections.command('status', { isDefault: true }))
    .description('each projection: stored and defined version, checkpoint, lag and what to do (the default)')
    .option('--json', 'print the rows as JSON')
    .action(async (flags) => (await import('./projections.js')).projectionsStatusCommand(flags));
  withStore(projections.command('rebuild'))
    .description(
      'build a fresh copy of a view from the whole log and swap it in, with progress; refused while a server ' +
        'runs the projection (SQLite: the data folder is in use; PostgreSQL: another process holds its lease)',
    )
    .argument('<name>', 'the projection, such as bank-balances')
    .option('--wait <seconds>', "PostgreSQL: how long to wait for another process's lease", '5')
    .action(async (name, flags) => (await import('./projections.js')).projectionsRebuildCommand(name, flags));

  const snapshots = program
    .command('snapshots')
    .description("snapshots of deciders' state: rebuild them from the events, or prune them");
  withStore(snapshots.command('rebuild'))
    .description(
      "fold streams from their first event and save a snapshot of each one's state now (default: every stream " +
        'of the decider, such as every account-… stream)',
    )
    .argument('[stream]', 'one stream, such as account-ada')
    .option('--prefix <prefix>', 'every stream whose id starts with this')
    .option('--decider <name>', 'the decider whose state is snapshotted: account', 'account')
    .action(async (stream, flags) => (await import('./snapshots.js')).snapshotsRebuildCommand(stream, flags));
  withStore(snapshots.command('prune'))
    .description('delete snapshots (all, or those of one name); they are derived, so no answer changes')
    .option('--name <name>', 'only snapshots of this name, such as account')
    .action(async (flags) => (await import('./snapshots.js')).snapshotsPruneCommand(flags));

  program
    .command('demo')
    .description(
      'drive realistic traffic against a running bank server over HTTP: opens accounts, then deposits, ' +
        'withdrawals and transfers from many clients (some failing: too little money, a closed account), large ' +
        'withdrawals and bursts that raise alerts; waits for the transfers to settle and prints a summary',
    )
    .option('--url <url>', 'the server', 'http://127.0.0.1:3000')
    .addOption(
      new Option(
        '--token <token>',
        'a writer or admin token (default: the admin token in the data folder, <data>/admin-token)',
      ).env('HINDSIGHT_TOKEN'),
    )
    .addOption(
      new Option('--data <dir>', "the server's data folder, where its admin token is kept")
        .env('HINDSIGHT_DATA')
        .default('./data'),
    )
    .option('--accounts <n>', 'accounts to open (and a tenth as many more, closed at once)', '50')
    .option('--duration <seconds>', 'how long to run the traffic', '10')
    .option('--operations <n>', 'run this many operations instead of for --duration')
    .option('--concurrency <n>', 'clients sending requests at once', '8')
    .option('--prefix <prefix>', "the accounts' ids start with this (default: demo-<random>)")
    .option('--settle-timeout <seconds>', 'how long to wait for the transfers to end', '30')
    .addHelpText(
      'after',
      '\nExamples:\n  hindsight demo                                  # 10 s against npm start, token from ./data\n' +
        '  hindsight demo --operations 5000 --concurrency 32 --url http://127.0.0.1:3000 --token $T\n\n' +
        'Exits 1 when a request met something no bank client should (a 5xx, a lost connection) or a transfer\n' +
        'did not settle within --settle-timeout.',
    )
    .action(async (flags) => {
      process.exitCode = await (await import('./demo.js')).demoCommand(flags);
    });
  return program;
}
