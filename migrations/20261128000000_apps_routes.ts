import type { Knex } from 'knex';

// Apps and routes of Picasso v1. Route paths are unique per app; the global public URL
// /r/{app}{path} is claimed by a partial unique index so two projects can never both expose it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('apps', (t) => {
    t.uuid('id').primary();
    t.string('project_id', 64).notNullable();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.jsonb('config').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['project_id', 'name']);
  });
  await knex.schema.createTable('routes', (t) => {
    t.uuid('id').primary();
    t.uuid('app_id').notNullable().references('apps.id').onDelete('RESTRICT');
    t.string('project_id', 64).notNullable();
    t.string('app_name', 255).notNullable();
    t.string('path', 1024).notNullable();
    t.string('image', 1024).notNullable();
    t.string('type', 16).notNullable();
    t.string('format', 16).notNullable();
    t.integer('memory').notNullable();
    t.integer('timeout').notNullable();
    t.integer('idle_timeout').notNullable();
    t.integer('max_concurrency').notNullable();
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.jsonb('config').notNullable().defaultTo('{}');
    t.boolean('is_public').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['app_id', 'path']);
  });
  await knex.raw('CREATE UNIQUE INDEX routes_public_url ON routes (app_name, path) WHERE is_public');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('routes');
  await knex.schema.dropTable('apps');
}
