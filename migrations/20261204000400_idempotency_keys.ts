import type { Knex } from 'knex';

// Idempotency keys (docs/api.md, "Sending a call twice"): one row per (project, key) while its
// window lasts, so that every API process and every restart sees the same first call. A row is
// `running` (its call is under way, held until `lease_until`) or `done` with the answer to give
// again. The primary key is what makes two concurrent requests with one key run the function once.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.string('project_id', 64).notNullable();
    t.string('key', 255).notNullable();
    t.string('fingerprint', 64).notNullable();
    t.uuid('call_id').notNullable();
    t.string('state', 16).notNullable();
    t.jsonb('answer').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('lease_until', { useTz: true }).nullable();
    t.primary(['project_id', 'key']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
