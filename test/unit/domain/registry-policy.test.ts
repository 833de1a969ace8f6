import assert from 'node:assert/strict';
import { RegistryPolicy } from '../../../src/domain/registry-policy';

describe('RegistryPolicy ([docker] allowed_registries)', () => {
  it('allows Docker Hub and registry_server by default, and nothing else', () => {
    const p = new RegistryPolicy([], 'https://registry.example.com:5000/v1/');
    for (const ok of ['hello', 'fresco-test/hello:1', 'docker.io/library/busybox', 'registry.example.com:5000/a/b:1']) {
      assert.equal(p.refusal(ok), undefined, ok);
    }
    for (const bad of ['127.0.0.1:5000/x', 'localhost/x', 'localhost:5000/x', '169.254.169.254/x', '[::1]:5000/x',
      '[fe80::1]:5000/x', 'registry.example.com/a', 'other.example.com/a']) {
      assert.match(p.refusal(bad) ?? '', /allowed_registries/, bad);
    }
  });

  it('refuses loopback and link-local under "*" unless listed by name; a host alone allows any port', () => {
    const star = new RegistryPolicy(['*']);
    assert.equal(star.refusal('quay.io/a/b'), undefined);
    assert.match(star.refusal('127.0.0.1:5000/x') ?? '', /"127\.0\.0\.1:5000"/);
    assert.match(star.refusal('169.254.169.254/x') ?? '', /allowed_registries/);
    const listed = new RegistryPolicy(['127.0.0.1', 'reg.local:443']);
    assert.equal(listed.refusal('127.0.0.1:5000/x'), undefined);
    assert.equal(listed.refusal('reg.local:443/x'), undefined);
    assert.match(listed.refusal('reg.local:5000/x') ?? '', /allowed_registries/);
    assert.match(listed.refusal('hello') ?? '', /"docker\.io"/);
  });
});
