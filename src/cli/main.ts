import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Help } from 'commander';
import { loadConfig, Config } from '../config/config';
import { ConfigError } from '../errors';
import { log } from '../log';
import { migrate } from '../store/db';
import { KnexRuntimeStore } from '../store/runtime-store';
import { openConfiguredDb, Role, start } from '../main';
import { nextSteps } from './next-steps';

// The `fresco` command: the roles and `db sync` of docs/operations.md.

const DEFAULT_CONFIG = 'etc/fresco/fresco.conf';

function configFrom(file?: string): Config {
  const chosen = file ?? process.env.FRESCO_CONFIG_FILE ?? (fs.existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  const { config, warnings } = loadConfig(chosen);
  log.level = process.env.FRESCO_LOG_LEVEL ?? config.DEFAULT.log_level;
  for (const w of warnings) log.warn(w);
  return config;
}

async function runRole(role: Role, file?: string, started?: () => void): Promise<void> {
  const running = await start(configFrom(file), role);
  started?.();
  if (running.address) process.stderr.write(nextSteps(running.address));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function dbSync(file?: string): Promise<void> {
  const db = openConfiguredDb(configFrom(file));
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.destroy();
  }
}

// runtimes/build.sh from the package's root (src/cli or dist/src/cli): it needs nothing but
// Debian's packages and Docker (docs/runtimes.md).
function buildRuntime(name: string): void {
  const script = [path.resolve(__dirname, '../../runtimes/build.sh'), path.resolve(__dirname, '../../../runtimes/build.sh')]
    .find((p) => fs.existsSync(p));
  if (!script) throw new Error('runtimes/build.sh is missing from this installation');
  const r = spawnSync('bash', [script, name], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

// Straight into the database, as `db sync`: what the DevStack plugin runs before any token exists.
async function registerRuntime(name: string, image: string, file?: string): Promise<void> {
  const db = openConfiguredDb(configFrom(file));
  try {
    const store = new KnexRuntimeStore(db);
    const existing = await store.get(name);
    if (existing) {
      process.stdout.write(`runtime ${name} is registered (image ${existing.image})\n`);
      return;
    }
    await store.create({ name, image, description: `registered by fresco runtime register` });
    process.stdout.write(`runtime ${name} registered: ${image}\n`);
  } finally {
    await db.destroy();
  }
}

// `fresco --help` lists `db sync` itself, so that every command fits on one line of the list.
const base = new Help();
const helpLayout = {
  visibleCommands: (c: Command) => base.visibleCommands(c).flatMap((sub) =>
    (sub.commands.length ? base.visibleCommands(sub).filter((s) => s.name() !== 'help') : [sub])),
  subcommandTerm: (c: Command) => (c.parent?.parent ? `${c.parent.name()} ${c.name()}` : base.subcommandTerm(c)),
};

const HELP_AFTER = `
The configuration file: --config-file, else $FRESCO_CONFIG_FILE, else
${DEFAULT_CONFIG} when it exists, else built-in defaults. Every option
(docs/configuration.md) can also be set by a FRESCO_* environment variable.
npm start runs \`fresco all\`.`;

/** The `fresco` command line; exported for its help text's test. */
export function program(started?: () => void): Command {
  const cmd = new Command('fresco')
    .description('Fresco: Functions-as-a-Service for OpenStack')
    .option('--config-file <path>', 'the INI configuration file (default below)')
    .configureHelp(helpLayout)
    .addHelpText('after', HELP_AFTER)
    .exitOverride();
  const file = () => cmd.opts().configFile as string | undefined;
  const roles: Array<[Role, string]> = [
    ['api', 'serve the HTTP API and run its sync calls'],
    ['engine', 'run async and trigger calls on this host\'s Docker'],
    ['listener', 'turn AMQP notifications and schedules into calls'],
    ['all', 'api, engine and listener in one process (npm start)'],
  ];
  for (const [role, help] of roles) cmd.command(role).description(help).action(() => runRole(role, file(), started));
  cmd.command('db').description('database commands')
    .command('sync').description('create or migrate the database schema').action(() => dbSync(file()));
  cmd.command('runtime').description('runtimes of functions from code')
    .command('build').description('build a runtime image from Debian packages')
    .argument('<runtime>', 'python3 or nodejs').action((name: string) => buildRuntime(name));
  cmd.commands.find((c) => c.name() === 'runtime')!
    .command('register').description('register a runtime in the database (idempotent)')
    .argument('<name>', 'e.g. python3').argument('<image>', 'e.g. fresco/runtime-python3:latest')
    .action((name: string, image: string) => registerRuntime(name, image, file()));
  return cmd;
}

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : `fresco: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(err instanceof ConfigError ? 78 : 1);
}

/** Entry point of bin/fresco; `started` is told once a role has started (see young-generation.ts). */
export function main(argv: string[], started?: () => void): void {
  program(started).parseAsync(argv, { from: 'user' }).catch(fail);
}
