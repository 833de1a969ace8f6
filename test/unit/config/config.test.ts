import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envName, loadConfig } from '../../../src/config/config';
import { OPTIONS } from '../../../src/config/options';

function writeConf(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-conf-')), 'fresco.conf');
  fs.writeFileSync(file, text);
  return file;
}

describe('config', () => {
  it('has the documented defaults (docs/configuration.md) with no file and no environment', () => {
    const { config } = loadConfig(undefined, {});
    assert.equal(config.DEFAULT.bind_host, '127.0.0.1');
    assert.equal(config.DEFAULT.bind_port, 8080);
    assert.equal(config.DEFAULT.auth_strategy, 'noauth');
    assert.equal(config.DEFAULT.transport_url, undefined);
    assert.equal(config.DEFAULT.state_path, './data');
    assert.equal(config.database.connection, undefined);
    assert.equal(config.docker.host, '/var/run/docker.sock');
    assert.deepEqual(config.notifications.exchanges, ['swift', 'nova', 'openstack']);
    assert.equal(config.notifications.queue, 'fresco-notifications');
    assert.ok(Object.isFrozen(config.DEFAULT), 'the result is frozen');
  });

  it('reads the INI file and lets FRESCO_* variables override it', () => {
    const file = writeConf('[DEFAULT]\nbind_port = 9090\ntransport_url = rabbit://u:p@h:5672/\n[database]\n' +
      'connection = postgresql://fresco@db/fresco\n[keystone_authtoken]\nauth_url = http://ks:5000/v3/\n' +
      'username = fresco\npassword = secret\n[notifications]\nexchanges = swift, aodh\n');
    const { config } = loadConfig(file, { FRESCO_BIND_PORT: '9191', FRESCO_KEYSTONE_USERNAME: 'svc' });
    assert.equal(config.DEFAULT.bind_port, 9191);
    assert.equal(config.DEFAULT.transport_url, 'rabbit://u:p@h:5672/');
    assert.equal(config.database.connection, 'postgresql://fresco@db/fresco');
    assert.equal(config.keystone_authtoken.auth_url, 'http://ks:5000/v3');
    assert.equal(config.keystone_authtoken.username, 'svc');
    assert.equal(config.DEFAULT.auth_strategy, 'keystone', 'keystone when auth_url is set');
    assert.deepEqual(config.notifications.exchanges, ['swift', 'aodh']);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['a port that is not a number', { FRESCO_BIND_PORT: 'eighty' }, /\[DEFAULT\] bind_port \(FRESCO_BIND_PORT\)/],
    ['a port out of range', { FRESCO_BIND_PORT: '70000' }, /bind_port.*above the maximum 65535/],
    ['an unknown auth strategy', { FRESCO_AUTH_STRATEGY: 'ldap' }, /auth_strategy.*not one of keystone, noauth/],
    ['a non-postgres connection', { FRESCO_DATABASE_CONNECTION: 'mysql://x' }, /\[database\] connection/],
    ['a bad transport_url', { FRESCO_TRANSPORT_URL: 'kafka://x' }, /transport_url/],
    ['keystone without a password', { FRESCO_AUTH_STRATEGY: 'keystone', FRESCO_KEYSTONE_AUTH_URL: 'http://k/v3',
      FRESCO_KEYSTONE_USERNAME: 'u' }, /\[keystone_authtoken\] password is required/],
    ['a bad auth_url', { FRESCO_KEYSTONE_AUTH_URL: 'ks:5000' }, /\[keystone_authtoken\] auth_url/],
  ];
  for (const [what, env, message] of bad) {
    it(`refuses ${what}, naming the option`, () => {
      assert.throws(() => loadConfig(undefined, env), { name: 'ConfigError', message });
    });
  }

  it('refuses a missing config file and warns about unknown options', () => {
    assert.throws(() => loadConfig('/nonexistent/fresco.conf', {}), /cannot read config file/);
    const { warnings } = loadConfig(writeConf('[DEFAULT]\nbind_prot = 1\n'), {});
    assert.deepEqual(warnings, ['unknown option [DEFAULT] bind_prot ignored']);
  });

  it('documents every option in etc/fresco/fresco.conf.sample with its environment variable', () => {
    const sample = fs.readFileSync(path.resolve(__dirname, '../../../etc/fresco/fresco.conf.sample'), 'utf8');
    for (const o of OPTIONS) {
      assert.ok(sample.includes(`#${o.name} =`), `${o.section}.${o.name} missing from the sample`);
      assert.ok(sample.includes(envName(o)), `${envName(o)} missing from the sample`);
    }
  });
});
