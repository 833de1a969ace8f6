import fs from 'node:fs';
import ini from 'ini';
import { ConfigError } from '../errors';
import { OPTIONS, OptionSpec } from './options';

// The only reader of the INI file and FRESCO_* environment. The result is validated against
// OPTIONS and frozen; a bad value stops start-up with a message naming the option.

type Value = string | number | boolean | string[] | undefined;
type Sections = Record<string, Record<string, Value>>;

/** Fresco's configuration, as the composition root hands it to each part. */
export interface Config {
  DEFAULT: {
    bind_host: string; bind_port: number; public_url?: string; auth_strategy: 'keystone' | 'noauth';
    transport_url?: string; state_path: string; max_body_size: number; log_level: string;
    max_timeout: number; max_memory: number; call_retention: number; idempotency_window: number; credential_headers: string[];
    max_chain_depth: number;
    dead_letter_retention: number;
    quota_running_calls: number; quota_queued_calls: number; quota_calls_per_second: number;
  };
  database: { connection?: string; max_pool_size: number };
  keystone_authtoken: {
    auth_url?: string; www_authenticate_uri?: string; username?: string; password?: string;
    project_name: string; user_domain_name: string; project_domain_name: string;
    token_cache_time: number; http_connect_timeout: number;
  };
  oslo_policy: { policy_file: string };
  docker: {
    host: string; network: string; registry_username?: string; registry_password?: string;
    registry_server?: string; image_disk_budget: number; allowed_registries: string[];
  };
  engine: {
    engine_id?: string; output_cap: number; log_cap: number; prestart_per_route: number;
    prestart_total: number; max_containers: number; max_memory: number; max_wait: number; cpu_quota: number; pids_limit: number; async_prefetch: number; call_lease: number;
    max_min_hot: number;
  };
  cluster: {
    secret?: string; bind_host: string; bind_port: number; advertise_url?: string; heartbeat_interval: number;
    engine_timeout: number; forget_after: number; placement_wait: number; call_slots: number;
    ping_interval: number; ping_timeout: number; connect_timeout: number;
  };
  runtimes: {
    package_max_size: number; package_max_unpacked: number; package_max_ratio: number;
    package_cache_dir?: string; package_cache_size: number; prestart_per_runtime: number; prestart_memory: number;
  };
  notifications: {
    exchanges: string[]; queue: string; routing_key: string; exchange_durable: 'passive' | 'true' | 'false';
    max_message_size: number;
  };
}

/** The environment variable that overrides an option: FRESCO_<NAME> for [DEFAULT], else FRESCO_<SECTION>_<NAME>. */
export function envName(spec: Pick<OptionSpec, 'section' | 'name'>): string {
  const prefix = spec.section === 'DEFAULT' ? '' :
    spec.section === 'keystone_authtoken' ? 'KEYSTONE_' : `${spec.section.toUpperCase()}_`;
  return `FRESCO_${prefix}${spec.name.toUpperCase()}`;
}

function where(spec: OptionSpec): string {
  return `[${spec.section}] ${spec.name} (${envName(spec)})`;
}

function parseValue(spec: OptionSpec, raw: string): Value {
  const bad = (why: string) => new ConfigError(`invalid value for ${where(spec)}: ${why}`);
  const text = raw.trim();
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw bad(`"${text}" is not a whole number`);
      const n = Number(text);
      if (spec.min !== undefined && n < spec.min) throw bad(`${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`${n} is above the maximum ${spec.max}`);
      return n;
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw bad(`"${text}" is not true or false`);
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'url':
      if (!/^https?:\/\/[^\s/]+/.test(text)) throw bad(`"${text}" is not an http(s) URL`);
      return text.replace(/\/+$/, '');
    default:
      if (spec.choices && !spec.choices.includes(text)) {
        throw bad(`"${text}" is not one of ${spec.choices.join(', ')}`);
      }
      return text;
  }
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const parsed = ini.parse(text) as Record<string, unknown>;
  // ini puts keys before any section header at the top level; OpenStack calls that DEFAULT.
  const top: Record<string, unknown> = {};
  const out: Record<string, unknown> = { DEFAULT: top };
  for (const [k, v] of Object.entries(parsed)) {
    if (v !== null && typeof v === 'object') out[k] = { ...(out[k] as object), ...(v as object) };
    else top[k] = v;
  }
  return out;
}

function collect(file: Record<string, unknown>, env: NodeJS.ProcessEnv): { sections: Sections; unknown: string[] } {
  const sections: Sections = {};
  const known = new Set(OPTIONS.map((s) => `${s.section}.${s.name}`));
  const unknown: string[] = [];
  for (const [section, values] of Object.entries(file)) {
    for (const name of Object.keys(values as object)) {
      if (!known.has(`${section}.${name}`)) unknown.push(`[${section}] ${name}`);
    }
  }
  for (const spec of OPTIONS) {
    const fromEnv = env[envName(spec)];
    const fromFile = (file[spec.section] as Record<string, unknown> | undefined)?.[spec.name];
    const raw = fromEnv ?? (fromFile === undefined || fromFile === null ? undefined : String(fromFile));
    const value = raw === undefined || raw.trim() === '' ? spec.default : parseValue(spec, raw);
    (sections[spec.section] ??= {})[spec.name] = Array.isArray(value) ? [...value] : value;
  }
  return { sections, unknown };
}

function derive(s: Sections): void {
  const d = s.DEFAULT;
  const ks = s.keystone_authtoken;
  d.auth_strategy ??= ks.auth_url ? 'keystone' : 'noauth';
  if (d.auth_strategy === 'keystone') {
    for (const name of ['auth_url', 'username', 'password']) {
      if (!ks[name]) throw new ConfigError(`[keystone_authtoken] ${name} is required when auth_strategy = keystone`);
    }
  }
  const conn = s.database.connection as string | undefined;
  if (conn && !/^postgres(ql)?:\/\//.test(conn)) {
    throw new ConfigError('invalid value for [database] connection (FRESCO_DATABASE_CONNECTION): expected postgresql://...');
  }
  const url = d.transport_url as string | undefined;
  if (url && !/^(rabbit|amqps?):\/\//.test(url)) {
    throw new ConfigError('invalid value for [DEFAULT] transport_url (FRESCO_TRANSPORT_URL): expected rabbit://user:pass@host:port/vhost');
  }
}

function deepFreeze<T>(obj: T): T {
  for (const v of Object.values(obj as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(obj);
}

/** Loads, validates and freezes the configuration; throws ConfigError naming the bad option. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): { config: Config; warnings: string[] } {
  const { sections, unknown } = collect(file ? readFile(file) : {}, env);
  derive(sections);
  const warnings = unknown.map((u) => `unknown option ${u} ignored`);
  return { config: deepFreeze(sections as unknown as Config), warnings };
}
