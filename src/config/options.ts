// Every option Fresco reads, declared once: section, name, type, default and help. The sample
// config (etc/fresco/fresco.conf.sample) and the loader are both checked against this table.

export type OptionType = 'string' | 'int' | 'bool' | 'list' | 'url' | 'secret';

export interface OptionSpec {
  section: string;
  name: string;
  type: OptionType;
  default?: string | number | boolean | string[];
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
}

const o = (section: string, name: string, type: OptionType, dflt: OptionSpec['default'],
  help: string, extra: Partial<OptionSpec> = {}): OptionSpec =>
  ({ section, name, type, default: dflt, help, ...extra });

/** The option table: the single source of truth for names, types and defaults. */
export const OPTIONS: readonly OptionSpec[] = [
  o('DEFAULT', 'bind_host', 'string', '127.0.0.1', 'Address the API listens on.'),
  o('DEFAULT', 'bind_port', 'int', 8080, 'Port the API listens on.', { min: 0, max: 65535 }),
  o('DEFAULT', 'public_url', 'string', undefined,
    'Base URL users reach the API at (Location headers, alarm callback URLs); default http://bind_host:bind_port.'),
  o('DEFAULT', 'auth_strategy', 'string', undefined,
    'keystone or noauth; default keystone when [keystone_authtoken] auth_url is set, else noauth.',
    { choices: ['keystone', 'noauth'] }),
  o('DEFAULT', 'transport_url', 'secret', undefined,
    'rabbit://user:pass@host:port/vhost for async calls and notifications; unset: in-process queue.'),
  o('DEFAULT', 'state_path', 'string', './data', 'Directory for the embedded database and engine state.'),
  o('DEFAULT', 'max_body_size', 'int', 6 * 1024 * 1024, 'Largest request body accepted, in bytes (413 above).',
    { min: 1024 }),
  o('DEFAULT', 'log_level', 'string', 'info', 'Log level.',
    { choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
  o('DEFAULT', 'max_timeout', 'int', 300, 'Largest route timeout a user may set, in seconds.', { min: 1, max: 86400 }),
  o('DEFAULT', 'max_memory', 'int', 8192, 'Largest route memory a user may set, in MiB.', { min: 16 }),
  o('DEFAULT', 'credential_headers', 'list', [],
    'Further request headers that carry credentials (e.g. X-Api-Key); like X-Auth-Token, X-Storage-Token, Authorization and Cookie, they never reach a function.'),
  o('DEFAULT', 'call_retention', 'int', 7 * 86400, 'Seconds call records and logs are kept.', { min: 60 }),
  o('DEFAULT', 'idempotency_window', 'int', 86400,
    'Seconds an Idempotency-Key holds in its project: a run request with a key used within this time answers the first call\'s answer instead of running again (docs/api.md). Keep it at most call_retention.',
    { min: 1 }),
  o('database', 'connection', 'secret', undefined,
    'postgresql://user:pass@host:port/db; unset: embedded PGlite under state_path.'),
  o('database', 'max_pool_size', 'int', 10, 'Most connections to PostgreSQL per process.', { min: 1, max: 1000 }),
  o('keystone_authtoken', 'auth_url', 'url', undefined, 'Keystone v3 URL, e.g. http://127.0.0.1:5000/v3.'),
  o('keystone_authtoken', 'www_authenticate_uri', 'url', undefined,
    'Keystone URL given to clients in WWW-Authenticate; default auth_url.'),
  o('keystone_authtoken', 'username', 'string', undefined, "Fresco's service user."),
  o('keystone_authtoken', 'password', 'secret', undefined, "The service user's password."),
  o('keystone_authtoken', 'project_name', 'string', 'service', "The service user's project."),
  o('keystone_authtoken', 'user_domain_name', 'string', 'Default', "The service user's domain."),
  o('keystone_authtoken', 'project_domain_name', 'string', 'Default', "The service project's domain."),
  o('keystone_authtoken', 'token_cache_time', 'int', 300, 'Seconds a validated token is cached (never past its expiry).',
    { min: 0, max: 3600 }),
  o('keystone_authtoken', 'http_connect_timeout', 'int', 5, 'Seconds to wait for Keystone before answering 503.',
    { min: 1, max: 120 }),
  o('oslo_policy', 'policy_file', 'string', 'etc/fresco/policy.yaml', 'Policy overrides (YAML); missing file: built-in rules.'),
  o('docker', 'host', 'string', '/var/run/docker.sock', 'Docker socket path or tcp:// URL.'),
  o('docker', 'network', 'string', 'none', 'Network for function containers unless a route sets one.'),
  o('docker', 'registry_username', 'string', undefined, 'Registry user for pulling images.'),
  o('docker', 'registry_password', 'secret', undefined, 'Registry password for pulling images.'),
  o('docker', 'registry_server', 'string', undefined, 'Registry the credentials are sent to (host:port); empty: Docker Hub. Never sent to another registry.'),
  o('docker', 'allowed_registries', 'list', [], 'Registries route images may name (host[:port]; a host alone allows any port; '
    + '"*" any registry but loopback and link-local ones, which must be listed by name). Empty: registry_server and Docker Hub. '
    + 'Checked when a route is written and before each pull.'),
  o('docker', 'image_disk_budget', 'int', 10240, 'MiB of pulled images kept; least recently used evicted past it.',
    { min: 0 }),
  o('engine', 'engine_id', 'string', undefined, 'Name of this engine (container labels, leases), stable across restarts so it can remove its orphans; '
    + 'default <hostname>-<role>. Give each process on one host its own.'),
  o('engine', 'output_cap', 'int', 1024 * 1024, 'Bytes of function output kept; a flood past it ends the call.',
    { min: 1024 }),
  o('engine', 'log_cap', 'int', 256 * 1024, 'Bytes of function stderr kept per call.', { min: 1024 }),
  o('engine', 'prestart_per_route', 'int', 1, 'Pre-started containers kept per default-format route.', { min: 0, max: 64 }),
  o('engine', 'prestart_total', 'int', 32, 'Pre-started containers kept on this engine in all.', { min: 0, max: 4096 }),
  o('engine', 'max_containers', 'int', 0, 'Cold containers running at once on this engine; calls beyond wait (max_wait). '
    + '0: max_memory / 128, at least 4.', { min: 0 }),
  o('engine', 'max_memory', 'int', 0, 'MiB of route memory of cold containers running at once on this engine. '
    + "0: three quarters of the host's memory.", { min: 0 }),
  o('engine', 'max_wait', 'int', 10, 'Seconds a cold call waits for room on this engine before 503 FRESCO_ENGINE_BUSY (with Retry-After).',
    { min: 1 }),
  o('engine', 'cpu_quota', 'int', 100000, 'CPU quota per container in microseconds per 100 ms period.', { min: 1000 }),
  o('engine', 'pids_limit', 'int', 128, 'Most processes in one function container.', { min: 8 }),
  o('engine', 'async_prefetch', 'int', 32, 'Async calls one engine runs at once. On RabbitMQ, its unacknowledged deliveries (outcomes being written '
    + 'included); without, up to as many more calls may be writing their outcomes.',
    { min: 1, max: 1000 }),
  o('engine', 'call_lease', 'int', 60, 'Seconds a running async call is leased to its engine before another may take it.',
    { min: 5 }),
  o('cluster', 'secret', 'secret', undefined, 'Shared key that signs calls between API and engine processes (HMAC-SHA256). '
    + 'Set (the same on every API and engine host): the API places sync calls on the engines and needs no Docker, each engine serves '
    + 'the call hop. Unset: one host, the API runs sync calls on its own Docker (the single-node layout).'),
  o('cluster', 'bind_host', 'string', '127.0.0.1', 'Address an engine serves the call hop on (with [cluster] secret).'),
  o('cluster', 'bind_port', 'int', 8091, 'Port an engine serves the call hop on; 0 picks a free one. Give each engine on a host its own.',
    { min: 0, max: 65535 }),
  o('cluster', 'advertise_url', 'url', undefined, 'URL the API processes reach this engine\'s hop at; default http://bind_host:bind_port '
    + '(set it when bind_host is 0.0.0.0).'),
  o('cluster', 'heartbeat_interval', 'int', 2, 'Seconds between an engine\'s membership renewals in the database.', { min: 1, max: 60 }),
  o('cluster', 'engine_timeout', 'int', 10, 'Seconds after its last renewal that an engine leaves placement.', { min: 2, max: 600 }),
  o('cluster', 'forget_after', 'int', 3600, 'Seconds after its last renewal that a dead engine\'s row (listed as down) is deleted '
    + 'by any live engine or API process; at least twice engine_timeout.', { min: 60 }),
  o('cluster', 'placement_wait', 'int', 5, 'Seconds a sync call waits for room when every engine refuses it (full), then 503 FRESCO_CLUSTER_FULL.',
    { min: 0, max: 300 }),
  o('cluster', 'call_slots', 'int', 256, 'Sync calls one engine runs at once through the hop; beyond, it refuses and the API tries the next engine.',
    { min: 1 }),
  o('runtimes', 'package_max_size', 'int', 50 * 1024 * 1024,
    'Largest code package (a file or a zip) a route may upload, in bytes (docs/runtimes.md).', { min: 1024 }),
  o('runtimes', 'package_max_unpacked', 'int', 250 * 1024 * 1024,
    'Most bytes a zip package may hold once unpacked; a zip declaring or holding more is refused as a zip bomb.', { min: 1024 }),
  o('runtimes', 'package_max_ratio', 'int', 200,
    'Most times one zip entry may expand (unpacked / compressed bytes) when it unpacks to more than 1 MiB.', { min: 2 }),
  o('runtimes', 'package_cache_dir', 'string', undefined,
    'Where engines keep unpacked code packages, in a directory per engine id (emptied when that engine starts); default state_path/packages.'),
  o('runtimes', 'package_cache_size', 'int', 1024,
    'MiB of unpacked code packages an engine keeps; the least recently used are removed past it.', { min: 1 }),
  o('runtimes', 'prestart_per_runtime', 'int', 1,
    'Runtime containers each engine keeps waiting, per registered runtime, for the first call of a new function from code '
    + '(specialised with its code then, docs/runtimes.md); 0: every function starts its own.', { min: 0, max: 64 }),
  o('runtimes', 'prestart_memory', 'int', 128,
    'Memory limit in MiB of waiting runtime containers: only routes of this memory use them (the default route memory).', { min: 16 }),
  o('swift', 'enabled', 'bool', false, 'Keep code packages in Swift (a container per Keystone project in the service account below) '
    + 'instead of Fresco\'s database, and let Qinling functions take their code from a Swift object (docs/runtimes.md).'),
  o('swift', 'auth_url', 'url', undefined, 'Keystone v3 URL of the identity that keeps the packages; default [keystone_authtoken] auth_url.'),
  o('swift', 'username', 'string', undefined, 'User of that identity; default [keystone_authtoken] username (Fresco\'s service user).'),
  o('swift', 'password', 'secret', undefined, 'Its password; default [keystone_authtoken] password.'),
  o('swift', 'project_name', 'string', undefined, 'Project whose Swift account holds the packages; default [keystone_authtoken] project_name.'),
  o('swift', 'user_domain_name', 'string', undefined, 'The user\'s domain; default [keystone_authtoken] user_domain_name.'),
  o('swift', 'project_domain_name', 'string', undefined, 'The project\'s domain; default [keystone_authtoken] project_domain_name.'),
  o('swift', 'region_name', 'string', undefined, 'Region of the object-store endpoint in the catalog; default: the first one.'),
  o('swift', 'interface', 'string', 'public', 'Catalog interface of the object-store endpoint.', { choices: ['public', 'internal', 'admin'] }),
  o('swift', 'endpoint_override', 'url', undefined, 'Swift proxy URL (e.g. http://swift:8080) used instead of the catalog\'s object-store endpoint.'),
  o('swift', 'reseller_prefix', 'string', 'AUTH_', 'Prefix of Swift account names: a project\'s account is <reseller_prefix><project id> '
    + '(Swift\'s keystoneauth default).'),
  o('swift', 'container_prefix', 'string', 'fresco_packages_', 'Container of a project\'s packages: <container_prefix><project id>.'),
  o('swift', 'timeout', 'int', 60, 'Seconds one Swift request (a package up or down) may take before it fails with 503.', { min: 1, max: 3600 }),
  o('notifications', 'exchanges', 'list', ['swift', 'nova', 'openstack'], 'Exchanges whose notifications.info Fresco reads.'),
  o('notifications', 'queue', 'string', 'fresco-notifications', "Fresco's own durable queue."),
  o('notifications', 'routing_key', 'string', 'notifications.info', 'Routing key bound on each exchange.'),
  o('notifications', 'exchange_durable', 'string', 'passive',
    'passive (check only), true or false: how the exchanges are declared.', { choices: ['passive', 'true', 'false'] }),
  o('notifications', 'max_message_size', 'int', 1024 * 1024, 'Largest notification read, in bytes.', { min: 1024 }),
  o('cluster', 'ping_interval', 'int', 1, 'Seconds an API process lets a hop stream to an engine stay silent before it sends a '
    + 'signed liveness ping (the engine answers at once).', { min: 1, max: 60 }),
  o('cluster', 'ping_timeout', 'int', 3, 'Seconds of silence (no answer, no pong) after which an API process closes a hop stream: '
    + 'its calls in flight end with 502 FRESCO_ENGINE_LOST and the engine leaves that process\'s placement for engine_timeout '
    + '(a frozen or cut-off engine keeps its TCP connection open).', { min: 1, max: 600 }),
  o('cluster', 'connect_timeout', 'int', 3, 'Seconds an API process waits to open a hop stream to an engine (connection and signed '
    + 'handshake); then the engine leaves its placement for engine_timeout and the call tries the next engine.', { min: 1, max: 60 }),
  o('DEFAULT', 'max_chain_depth', 'int', 10,
    'Most links a chain of calls may have (docs/api.md, "Chaining"): a chained call deeper than this is not started, and its parent\'s chain_error says so.',
    { min: 1, max: 1000 }),
  o('DEFAULT', 'dead_letter_retention', 'int', 14 * 86400,
    'Seconds a dead letter (a failed async call or event, docs/api.md) is kept before the sweeper purges it; redriven or not.',
    { min: 60 }),
  o('engine', 'max_min_hot', 'int', 8, 'Largest min_hot a route may set: hot containers each engine keeps for it even when idle '
    + '(Qinling\'s function scaleup).', { min: 0, max: 1024 }),
  o('DEFAULT', 'quota_running_calls', 'int', 0,
    'Default per-project limit of calls running at once (docs/api.md, "Quotas"); 0: unlimited. Over it a sync run answers 429, '
    + 'an async call waits in the queue: the fair share between projects.', { min: 0 }),
  o('DEFAULT', 'quota_queued_calls', 'int', 0,
    'Default per-project limit of async calls waiting in the queue; 0: unlimited. Over it an async run answers 429.', { min: 0 }),
  o('DEFAULT', 'quota_calls_per_second', 'int', 0,
    'Default per-project rate of runs, per API process (a token bucket with a burst of one second); 0: unlimited. Over it a run answers 429.',
    { min: 0 }),
];
