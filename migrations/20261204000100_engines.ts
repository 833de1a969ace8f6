import type { Knex } from 'knex';

// Engine membership (docs/operations.md, "Several hosts"): each engine renews its row every
// [cluster] heartbeat_interval; the API places sync calls on the rows renewed within
// [cluster] engine_timeout, by the database's clock (one clock for every host).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('engines', (t) => {
    t.string('id', 255).primary();
    t.string('host', 255).notNullable();
    t.string('url', 1024).notNullable();
    t.string('state', 16).notNullable();
    t.integer('memory_budget_mb').notNullable();
    t.integer('call_slots').notNullable();
    t.integer('running_calls').notNullable().defaultTo(0);
    t.integer('memory_used_mb').notNullable().defaultTo(0);
    t.integer('hot_containers').notNullable().defaultTo(0);
    t.jsonb('hot_routes').notNullable().defaultTo('[]');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('heartbeat_at', { useTz: true }).notNullable();
    t.index(['heartbeat_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('engines');
}
