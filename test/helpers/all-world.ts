import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { start, type Started } from '../../src/main';
import { createTestDb, TestDb } from './db';
import { testConfig } from './api';
import { BROKER_URL } from '../integration/queue/broker';

// One `fresco all` for an end-to-end test file: its own PostgreSQL database, state directory and
// engine id, and — with `rabbitmq` — its own RabbitMQ vhost, so no other engine takes its calls.
// Requests go over real HTTP with the embedded noauth project `demo`.

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 });

export interface AllWorldOptions {
  /** Names the vhost, the state directory and the engine id. */
  name: string;
  /** Async calls through a RabbitMQ vhost of this run (else the in-process queue). */
  rabbitmq?: boolean;
  /** More FRESCO_* settings. */
  env?: Record<string, string>;
}

export class AllWorld {
  base = '';
  /** This world's engine id (its containers carry it in the io.fresco.engine label). */
  engineId = '';
  private fresco?: Started;
  private db?: TestDb;
  private stateDir?: string;
  private vhost?: string;

  constructor(private readonly opts: AllWorldOptions) {}

  async start(): Promise<void> {
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const env: Record<string, string> = {};
    if (this.opts.rabbitmq) {
      this.vhost = `fresco-test-${this.opts.name}-${tag}`;
      await rabbitmqctl('add_vhost', this.vhost);
      await rabbitmqctl('set_permissions', '-p', this.vhost, 'guest', '.*', '.*', '.*');
      env.FRESCO_TRANSPORT_URL = `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(this.vhost)}`;
    }
    this.db = await createTestDb();
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `fresco-${this.opts.name}-`));
    this.engineId = `test-${this.opts.name}-${tag}`;
    this.fresco = await start(testConfig({
      ...env, FRESCO_DATABASE_CONNECTION: this.db.url, FRESCO_BIND_PORT: '0', FRESCO_BIND_HOST: '127.0.0.1',
      FRESCO_STATE_PATH: this.stateDir, FRESCO_ENGINE_ENGINE_ID: this.engineId, ...this.opts.env,
    }), 'all');
    this.base = `http://127.0.0.1:${this.fresco.address!.port}`;
  }

  async stop(): Promise<void> {
    await this.fresco?.stop();
    await this.db?.drop();
    if (this.stateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
    if (this.vhost) await rabbitmqctl('delete_vhost', this.vhost).catch(() => undefined);
  }

  /** A request; a string body goes as text/plain, anything else as JSON. */
  send(method: string, url: string, body?: unknown): Promise<Response> {
    return fetch(`${this.base}${url}`, {
      method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
    });
  }

  post(url: string, body: unknown): Promise<Response> {
    return this.send('POST', url, body);
  }

  async json(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.send(method, url, body);
    return { status: res.status, body: await res.json() };
  }

  /** The call's record as GET /v1/demo/calls/{id} shows it. */
  async getCall(id: string): Promise<any> {
    return (await this.json('GET', `/v1/demo/calls/${id}`)).body.call;
  }

  /** Creates the app and its routes in project demo, asserting each is accepted. */
  async createRoutes(app: string, routes: object[]): Promise<void> {
    assert.ok((await this.post('/v1/demo/apps', { app: { name: app } })).status < 300);
    for (const route of routes) {
      const r = await this.post(`/v1/demo/apps/${app}/routes`, { route });
      assert.ok(r.status < 300, await r.text());
    }
  }
}
