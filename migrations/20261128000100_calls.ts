import type { Knex } from 'knex';

// Call records: every sync and async call, its outcome, output and log. Async calls also keep
// the request they will run with, and a lease so that a call whose engine died is run again.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('calls', (t) => {
    t.uuid('id').primary();
    t.string('project_id', 64).notNullable();
    t.string('app', 255).notNullable();
    t.string('route', 1024).notNullable();
    t.string('trigger', 16).notNullable();
    t.uuid('trigger_id').nullable();
    t.string('status', 16).notNullable();
    t.string('kind', 16).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('started_at', { useTz: true }).nullable();
    t.timestamp('completed_at', { useTz: true }).nullable();
    t.integer('duration_ms').nullable();
    t.integer('exit_code').nullable();
    t.text('error').nullable();
    t.binary('result').nullable();
    t.boolean('result_truncated').notNullable().defaultTo(false);
    t.binary('log').nullable();
    t.boolean('log_truncated').notNullable().defaultTo(false);
    t.jsonb('request').nullable();
    t.string('engine_id', 255).nullable();
    t.timestamp('lease_until', { useTz: true }).nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('dedupe_key', 512).nullable().unique();
    t.index(['project_id', 'created_at']);
  });
  await knex.raw("CREATE INDEX calls_pending ON calls (created_at) WHERE status IN ('queued', 'running')");
  await knex.raw('CREATE INDEX calls_completed ON calls (completed_at) WHERE completed_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('calls');
}
