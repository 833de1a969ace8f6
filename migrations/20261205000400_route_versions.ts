import type { Knex } from 'knex';

// Route versions and aliases (docs/api.md, "Versions and aliases"): a version is a frozen copy of
// what a route runs (image or runtime, entry and package digest; config, memory, timeout, format...)
// numbered 1, 2, 3... per route (routes.last_version counts them, so numbers are never reused); an
// alias names a version (0: the route as it is now). A call records the version it ran.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.integer('last_version').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('route_versions', (t) => {
    t.uuid('id').primary();
    t.uuid('route_id').notNullable().references('id').inTable('routes').onDelete('CASCADE');
    t.string('project_id', 255).notNullable();
    t.string('app_name', 255).notNullable();
    t.string('path', 1024).notNullable();
    t.integer('number').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('image', 1024).notNullable();
    t.string('runtime', 255).nullable();
    t.string('entry', 255).nullable();
    t.string('calling', 16).nullable();
    // A version keeps its package: the package outlives the route's later code changes.
    t.string('code_digest', 64).nullable().references('code_packages.digest').onDelete('RESTRICT');
    t.string('code_file', 255).nullable();
    // The rest of what runs: type, format, memory, timeout, idle_timeout, max_concurrency, headers,
    // config (app config merged under the route's, frozen), retry.
    t.jsonb('spec').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['route_id', 'number']);
    t.index(['code_digest']);
  });
  await knex.schema.createTable('route_aliases', (t) => {
    t.uuid('id').primary();
    t.uuid('route_id').notNullable().references('id').inTable('routes').onDelete('CASCADE');
    t.string('project_id', 255).notNullable();
    t.string('app_name', 255).notNullable();
    t.string('path', 1024).notNullable();
    t.string('name', 255).notNullable();
    t.integer('version').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['route_id', 'name']);
    t.index(['project_id', 'app_name']);
  });
  await knex.schema.alterTable('calls', (t) => {
    t.integer('route_version').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.dropColumn('route_version'));
  await knex.schema.dropTable('route_aliases');
  await knex.schema.dropTable('route_versions');
  await knex.schema.alterTable('routes', (t) => t.dropColumn('last_version'));
}
