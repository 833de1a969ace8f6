import assert from 'node:assert/strict';
import { program } from '../../../src/cli/main';
import { nextSteps } from '../../../src/cli/next-steps';

// `fresco --help` lists every role and command on one line each; `fresco all` tells a person
// at the terminal where to go next.

function help(args: string[]): string {
  let out = '';
  const cmd = program().configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { out += s; } });
  assert.throws(() => cmd.parse(args, { from: 'user' }), { code: 'commander.helpDisplayed' });
  return out;
}

describe('fresco --help', () => {
  const text = help(['--help']);
  const commands = text.split('Commands:\n')[1].split('\n\n')[0].split('\n');

  it('lists each role and db sync on one line with what it does', () => {
    for (const name of ['api', 'engine', 'listener', 'all', 'db sync']) {
      const line = commands.find((l) => l.trimStart().startsWith(`${name} `));
      assert.ok(line, `${name} missing from:\n${text}`);
      assert.match(line, new RegExp(`^  ${name} {2,}\\S`), `${name} has a description on its line`);
    }
  });

  it('wraps no command description onto a second line, and fits 80 columns', () => {
    assert.ok(commands.every((l) => /^ {2}\S/.test(l)), `a continuation line:\n${commands.join('\n')}`);
    assert.ok(text.split('\n').every((l) => l.length <= 80), `a line over 80 columns:\n${text}`);
  });

  it('says where the configuration comes from and what npm start runs', () => {
    assert.match(text, /--config-file/);
    assert.match(text, /FRESCO_CONFIG_FILE/);
    assert.match(text, /docs\/configuration\.md/);
    assert.match(text, /npm start runs `fresco all`/);
  });
});

describe('the start-up message', () => {
  it('gives the URL, the quick start commands and how to stop', () => {
    const text = nextSteps({ host: '0.0.0.0', port: 8080 });
    assert.match(text, /http:\/\/127\.0\.0\.1:8080\//);
    assert.match(text, /bash examples\/build\.sh/);
    assert.match(text, /curl -s -X POST http:\/\/127\.0\.0\.1:8080\/v1\/demo\/apps/);
    assert.match(text, /Ctrl-C/);
    assert.match(nextSteps({ host: '::1', port: 9000 }), /http:\/\/\[::1\]:9000\//);
  });
});
