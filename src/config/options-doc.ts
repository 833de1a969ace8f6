import fs from 'node:fs';
import path from 'node:path';
import { envName } from './config';
import { OPTIONS, OptionSpec } from './options';

// docs/configuration.md, generated from the option table so that it cannot drift from what the
// loader reads: `npm run docs` rewrites it, test/unit/docs/configuration-doc.test.ts fails when
// it is stale.

const INTRO = `# Configuration

<!-- Generated from src/config/options.ts by \`npm run docs\`; edit the table there, not this file. -->

Fresco reads one OpenStack-style INI file and the environment:

- **The file**: \`fresco --config-file PATH <role>\`; without that option \`$FRESCO_CONFIG_FILE\`;
  without either, \`etc/fresco/fresco.conf\` (relative to the working directory) when it exists;
  else only built-in defaults, which suit one laptop: the API on 127.0.0.1:8080, an embedded
  PostgreSQL (PGlite) under \`state_path\`, async calls queued in-process and \`auth_strategy =
  noauth\`. \`etc/fresco/fresco.conf.sample\` has every option commented out at its default.
- **The environment**: every option can be set by the variable in the table below,
  \`FRESCO_<NAME>\` for \`[DEFAULT]\`, \`FRESCO_KEYSTONE_<NAME>\` for \`[keystone_authtoken]\` and
  \`FRESCO_<SECTION>_<NAME>\` for the other sections. A variable wins over the file; an empty
  value means "not set".
- **Checked at start**: a value of the wrong type or out of range stops start-up with a message
  naming the option and its variable, e.g. \`invalid value for [DEFAULT] bind_port
  (FRESCO_BIND_PORT): "eighty" is not a whole number\` (exit status 78). An unknown option in the
  file is logged as a warning and ignored.

Types: \`int\` is a whole number; \`list\` is comma-separated; \`url\` is an http(s) URL (a trailing
\`/\` is dropped); \`secret\` is a string that is never logged.

A minimal production file (PostgreSQL, RabbitMQ, Keystone):

\`\`\`ini
[DEFAULT]
bind_host = 0.0.0.0
public_url = https://fresco.example.org
transport_url = rabbit://fresco:secret@rabbit.example.org:5672/

[database]
connection = postgresql://fresco:secret@db.example.org/fresco

[keystone_authtoken]
auth_url = https://keystone.example.org/v3
username = fresco
password = secret
\`\`\`
`;

function defaultText(o: OptionSpec): string {
  if (o.default === undefined) return '(unset)';
  const v = Array.isArray(o.default) ? o.default.join(', ') : String(o.default);
  return v === '' ? '(empty)' : `\`${v}\``;
}

function typeText(o: OptionSpec): string {
  if (o.choices) return `${o.type}: ${o.choices.join(' \\| ')}`;
  const range = [o.min !== undefined ? `≥ ${o.min}` : '', o.max !== undefined ? `≤ ${o.max}` : ''].filter(Boolean);
  return range.length ? `${o.type}, ${range.join(', ')}` : o.type;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function sectionTable(section: string, options: OptionSpec[]): string {
  const rows = options.map((o) => `| \`${o.name}\` | \`${envName(o)}\` | ${typeText(o)} | ${defaultText(o)} | ${cell(o.help)} |`);
  return [`## [${section}]`, '', '| option | environment | type | default | meaning |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

/** The whole of docs/configuration.md for the current option table. */
export function renderConfigurationDoc(): string {
  const sections = [...new Set(OPTIONS.map((o) => o.section))];
  return [INTRO, ...sections.map((s) => sectionTable(s, OPTIONS.filter((o) => o.section === s)))].join('\n');
}

function repositoryRoot(dir = __dirname): string {
  return fs.existsSync(path.join(dir, 'package.json')) || dir === path.dirname(dir) ? dir : repositoryRoot(path.dirname(dir));
}

/** Where the generated document lives in the repository. */
export const CONFIGURATION_DOC = path.join(repositoryRoot(), 'docs', 'configuration.md');

if (require.main === module) {
  fs.writeFileSync(CONFIGURATION_DOC, renderConfigurationDoc());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CONFIGURATION_DOC)}\n`);
}
