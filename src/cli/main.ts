import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig, Config } from '../config/config';
import { ConfigError } from '../errors';
import { log } from '../log';
import { migrate } from '../store/db';
import { openConfiguredDb, Role, start } from '../main';

// The `fresco` command: roles of SPEC §1.1 and `db sync`.

const DEFAULT_CONFIG = 'etc/fresco/fresco.conf';

function configFrom(file?: string): Config {
  const chosen = file ?? process.env.FRESCO_CONFIG_FILE ?? (fs.existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  const { config, warnings } = loadConfig(chosen);
  log.level = process.env.FRESCO_LOG_LEVEL ?? config.DEFAULT.log_level;
  for (const w of warnings) log.warn(w);
  return config;
}

async function runRole(role: Role, file?: string): Promise<void> {
  const running = await start(configFrom(file), role);
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

function program(): Command {
  const cmd = new Command('fresco')
    .description('Fresco: Functions-as-a-Service for OpenStack')
    .option('--config-file <path>', `INI config file (default: $FRESCO_CONFIG_FILE, else ${DEFAULT_CONFIG} if present)`)
    .exitOverride();
  const file = () => cmd.opts().configFile as string | undefined;
  const roles: Array<[Role, string]> = [
    ['api', 'serve the HTTP API'],
    ['engine', 'run calls on this host\'s Docker and consume the async queue'],
    ['listener', 'turn AMQP notifications and schedules into calls'],
    ['all', 'api, engine and listener in one process (single node; what npm start runs)'],
  ];
  for (const [role, help] of roles) cmd.command(role).description(help).action(() => runRole(role, file()));
  cmd.command('db').description('database commands')
    .command('sync').description('apply pending migrations').action(() => dbSync(file()));
  return cmd;
}

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : `fresco: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(err instanceof ConfigError ? 78 : 1);
}

/** Entry point of bin/fresco. */
export function main(argv: string[]): void {
  program().parseAsync(argv, { from: 'user' }).catch(fail);
}
