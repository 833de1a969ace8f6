import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors';
import type { RouteStore, TriggerStore } from '../../../src/domain/models';
import { TriggerService } from '../../../src/services/trigger-service';
import { nameSchema, parseInput, routePathSchema } from '../../../src/services/validation';
import { triggerRules } from '../../../src/events/filters';

// One name rule and one route-path rule, whoever uses them: a trigger's route gets the checks a
// route's own path gets.

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.code === 'FRESCO_REQUEST_INVALID' && message.test(e.message));
}

describe('validation rules', () => {
  it('route paths: segments of safe characters, no "." or "..", at most 1024 characters', () => {
    assert.equal(parseInput(routePathSchema, '/img/resize.v2', 'route.path'), '/img/resize.v2');
    invalid(() => parseInput(routePathSchema, '/a/../b', 'route.path'), /^route\.path: must not contain "\." or "\.\." segments/);
    invalid(() => parseInput(routePathSchema, '/.', 'route.path'), /"\." or "\.\."/);
    invalid(() => parseInput(routePathSchema, `/${'a'.repeat(1024)}`, 'route.path'), /at most 1024 characters/);
    invalid(() => parseInput(routePathSchema, 'no-slash', 'route.path'), /must start with "\/"/);
  });

  it('names: 1-255 letters, digits, "_", "." or "-"', () => {
    assert.equal(parseInput(nameSchema, 'my_app-1.0'), 'my_app-1.0');
    invalid(() => parseInput(nameSchema, 'a b', 'app.name'), /^app\.name: must be 1-255 characters/);
    invalid(() => parseInput(nameSchema, 'x'.repeat(256), 'trigger.name'), /must be 1-255 characters/);
  });

  it('a trigger\'s route path gets the route rule before any store is asked', async () => {
    const untouched = new Proxy({}, { get: () => () => assert.fail('no store call for an invalid body') });
    const triggers = new TriggerService({
      triggerStore: untouched as TriggerStore, routeStore: untouched as RouteStore, rules: triggerRules,
    });
    const body = (route: string, name = 't') => ({ trigger: { name, type: 'swift', app: 'a', route } });
    await assert.rejects(triggers.create('p', body('/a/../b')), /trigger\.route: must not contain "\." or "\.\." segments/);
    await assert.rejects(triggers.create('p', body(`/${'a'.repeat(1100)}`)), /trigger\.route: must be at most 1024 characters/);
    await assert.rejects(triggers.create('p', body('/ok', 'bad name')), /trigger\.name: must be 1-255 characters/);
  });
});
