import assert from 'node:assert/strict';
import fs from 'node:fs';
import { envName } from '../../../src/config/config';
import { OPTIONS } from '../../../src/config/options';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../../src/config/options-doc';

// docs/configuration.md is generated from the option table; a change to the table without
// `npm run docs` fails here.

describe('docs/configuration.md', () => {
  const doc = fs.readFileSync(CONFIGURATION_DOC, 'utf8');

  it('is what `npm run docs` generates from src/config/options.ts (run it after changing an option)', () => {
    assert.ok(doc === renderConfigurationDoc(), 'docs/configuration.md is stale: run `npm run docs` and commit it');
  });

  it('lists every option with its section, environment variable and help', () => {
    for (const o of OPTIONS) {
      const section = doc.slice(doc.indexOf(`## [${o.section}]`));
      assert.ok(section.includes(`| \`${o.name}\` | \`${envName(o)}\` |`), `[${o.section}] ${o.name}`);
    }
  });
});
