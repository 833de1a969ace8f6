import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OscResult, OscWorld } from './osc-world';

// Fresco's OSC plugin installed beside the other FaaS clients a cloud user may have: Debian's
// python3-qinlingclient (test/setup.d/50-osc.sh installs it) and python-picassoclient, which no
// registry these machines reach carries, so a stand-in registering what it registers (extension
// `functions`, API_NAME `functions`, --os-functions-api-version) is built and installed into
// Debian's python3 for this test, and uninstalled after it. OSC loads every extension's options
// into one argparse parser and one client per API_NAME: a clash crashes every `openstack` command.

const PYTHON = '/usr/bin/python3';
const STAND_IN = 'fake-picassoclient';

const STAND_IN_FILES: Record<string, string> = {
  'pyproject.toml': '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
  'setup.cfg': [
    '[metadata]', `name = ${STAND_IN}`, 'version = 0.0.1', '',
    '[options]', 'packages = fake_picasso', '',
    '[options.entry_points]',
    'openstack.cli.extension =', '    functions = fake_picasso.plugin',
    'openstack.functions.v1 =', '    fn_apps_list = fake_picasso.plugin:ListApps', '',
  ].join('\n'),
  'fake_picasso/__init__.py': '',
  'fake_picasso/plugin.py': `"""What python-picassoclient registers with OSC, and one command."""
from osc_lib.command import command

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_functions_api_version'
API_NAME = 'functions'
API_VERSIONS = {'1': 'fake_picasso.plugin.Client'}


class Client(object):
    def __init__(self, **kwargs):
        pass


def make_client(instance):
    return Client()


def build_option_parser(parser):
    parser.add_argument('--os-functions-api-version', metavar='<functions-api-version>',
                        default=DEFAULT_API_VERSION, help='Picasso API version (stand-in)')
    return parser


class ListApps(command.Lister):
    """List apps (python-picassoclient stand-in)."""

    def take_action(self, parsed_args):
        return ('Name',), [('stand-in',)]
`,
};

function pip(args: string[]): void {
  const r = spawnSync(PYTHON, ['-m', 'pip', ...args, '--break-system-packages', '--root-user-action=ignore'],
    { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pip ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
}

/** `openstack --help` exited 0 with both Fresco's options and its commands, and no traceback. */
function assertHelpLoads(help: OscResult, others: string[]): void {
  assert.equal(help.code, 0, `openstack --help: exit ${help.code}: ${help.stderr}`);
  assert.doesNotMatch(help.stderr, /Traceback|conflicting option/);
  for (const text of ['--os-fresco-api-version', '--os-fresco-endpoint-override', 'fn app list', ...others]) {
    assert.ok(help.stdout.includes(text), `openstack --help lacks ${text}`);
  }
}

describe('openstack fn beside python3-qinlingclient and python-picassoclient', function () {
  this.timeout(180_000);
  let world: OscWorld;
  let standIn: string | undefined;
  let installed = false;
  const app = `coexist${process.pid}`;

  before(async function () {
    const qinling = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'python3-qinlingclient'], { encoding: 'utf8' });
    assert.match(qinling.stdout, /ok installed/, 'python3-qinlingclient is missing: run test/setup.d/50-osc.sh');
    world = await OscWorld.start('coexist');
  });

  after(async function () {
    try {
      if (installed) pip(['uninstall', '-y', STAND_IN]);
    } finally {
      if (standIn) fs.rmSync(standIn, { recursive: true, force: true });
      await world?.stop();
    }
  });

  it('beside python3-qinlingclient: both plugins load, and fn commands work', async () => {
    assertHelpLoads(await world.osc('DEMO', ['--help']), ['--os-function-engine-api-version', 'function list']);
    const created = await world.json('DEMO', ['fn', 'app', 'create', app]);
    assert.equal(created.name, app);
    const apps = await world.json('DEMO', ['fn', 'app', 'list']);
    assert.ok(apps.some((a: { Name: string }) => a.Name === app));
  });

  it('beside python-picassoclient too: no option clash, Fresco still found by type functions', async () => {
    standIn = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-picasso-stand-in-'));
    for (const [file, text] of Object.entries(STAND_IN_FILES)) {
      fs.mkdirSync(path.dirname(path.join(standIn, file)), { recursive: true });
      fs.writeFileSync(path.join(standIn, file), text);
    }
    pip(['install', '-q', '--no-deps', '--no-build-isolation', standIn]);
    installed = true;

    assertHelpLoads(await world.osc('DEMO', ['--help']),
      ['--os-functions-api-version', '--os-function-engine-api-version', 'fn apps list']);
    const shown = await world.json('DEMO', ['fn', 'app', 'show', app], true);
    assert.equal(shown.name, app);
    await world.ok('DEMO', ['--fn-endpoint', world.url, 'fn', 'app', 'delete', app], true);
    const apps = await world.json('DEMO', ['fn', 'app', 'list']);
    assert.ok(!apps.some((a: { Name: string }) => a.Name === app));
    const picasso = await world.json('DEMO', ['fn', 'apps', 'list']);
    assert.deepEqual(picasso, [{ Name: 'stand-in' }]);
  });
});
