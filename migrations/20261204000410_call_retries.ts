import type { Knex } from 'knex';

// Retries (docs/api.md, "Retries"): a route's retry policy; a call waiting for its next attempt is
// `queued` with `not_before` (claimed only after it, re-published by the sweeper when due); each
// finished attempt of a retried call is kept in call_attempts with its status, error and log.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.integer('retries').notNullable().defaultTo(0);
    t.double('retry_delay').notNullable().defaultTo(1);
    t.double('retry_backoff').notNullable().defaultTo(2);
    t.double('retry_max_delay').notNullable().defaultTo(300);
    t.jsonb('retry_on').notNullable().defaultTo(JSON.stringify(['error', 'timeout']));
  });
  await knex.schema.alterTable('calls', (t) => {
    t.timestamp('not_before', { useTz: true }).nullable();
  });
  await knex.raw("CREATE INDEX calls_retry_due ON calls (not_before) WHERE status = 'queued' AND not_before IS NOT NULL");
  await knex.schema.createTable('call_attempts', (t) => {
    t.uuid('call_id').notNullable().references('id').inTable('calls').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.string('status', 16).notNullable();
    t.timestamp('started_at', { useTz: true }).nullable();
    t.timestamp('completed_at', { useTz: true }).notNullable();
    t.integer('exit_code').nullable();
    t.text('error').nullable();
    t.binary('log').nullable();
    t.boolean('log_truncated').notNullable().defaultTo(false);
    t.timestamp('retry_at', { useTz: true }).nullable();
    t.primary(['call_id', 'attempt']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('call_attempts');
  await knex.raw('DROP INDEX IF EXISTS calls_retry_due');
  await knex.schema.alterTable('calls', (t) => t.dropColumn('not_before'));
  await knex.schema.alterTable('routes', (t) => {
    for (const c of ['retries', 'retry_delay', 'retry_backoff', 'retry_max_delay', 'retry_on']) t.dropColumn(c);
  });
}
