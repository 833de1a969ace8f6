import type { Knex } from 'knex';

// Triggers bind an event source (Swift, notifications, Aodh alarms, schedules) to a route.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('triggers', (t) => {
    t.uuid('id').primary();
    t.string('project_id', 64).notNullable();
    t.string('name', 255).notNullable();
    t.string('type', 16).notNullable();
    t.string('app', 255).notNullable();
    t.string('route', 1024).notNullable();
    t.jsonb('filter').notNullable().defaultTo('{}');
    t.string('schedule', 255).nullable();
    t.string('timezone', 64).nullable();
    t.string('secret', 128).nullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('last_fired_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['project_id', 'name']);
    t.index(['project_id', 'type']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('triggers');
}
