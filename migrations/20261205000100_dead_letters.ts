import type { Knex } from 'knex';

// Dead letters (docs/api.md, "Dead letters"): an async call whose last attempt failed, or an event
// whose trigger's call could not be created, kept per project with the input it would run with,
// until redriven (a new call, linked by calls.redrive_of) or purged. A finished call with kept input
// may also be replayed (calls.replay_of).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dead_letters', (t) => {
    t.uuid('id').primary();
    t.string('project_id', 64).notNullable();
    t.string('kind', 16).notNullable();
    t.uuid('call_id').nullable();
    t.string('app', 255).notNullable();
    t.string('route', 1024).notNullable();
    t.string('trigger', 16).notNullable();
    t.uuid('trigger_id').nullable();
    t.string('reason', 32).notNullable();
    t.string('error_code', 64).nullable();
    t.text('error').nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    // The call's request as calls.request keeps it (credentials already removed, body in base64).
    t.jsonb('input').notNullable();
    t.string('dedupe_key', 512).nullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('redriven_at', { useTz: true }).nullable();
    t.uuid('redrive_call_id').nullable();
    t.index(['project_id', 'created_at']);
  });
  await knex.schema.alterTable('calls', (t) => {
    t.uuid('redrive_of').nullable();
    // POST .../calls/{id}/replay: the finished call this one runs again.
    t.uuid('replay_of').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.dropColumn('redrive_of');
    t.dropColumn('replay_of');
  });
  await knex.schema.dropTable('dead_letters');
}
