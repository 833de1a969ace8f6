import type { Knex } from 'knex';

// Functions from code (docs/runtimes.md): the runtimes an operator registers, the code packages
// (content-addressed by their sha256 digest, shared by every route that uploads the same bytes),
// and the code fields of a route. A code route keeps `image` empty: its image is its runtime's.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('runtimes', (t) => {
    t.uuid('id').primary();
    t.string('name', 255).notNullable().unique();
    t.string('image', 1024).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('code_packages', (t) => {
    t.string('digest', 64).primary();
    t.binary('content').notNullable();
    t.bigInteger('size').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.schema.alterTable('routes', (t) => {
    t.string('runtime', 255).nullable();
    t.string('entry', 255).nullable();
    t.string('calling', 16).nullable();
    t.string('code_digest', 64).nullable().references('code_packages.digest').onDelete('RESTRICT');
    // The uploaded file's name for a single-file package (its module name); null for a zip.
    t.string('code_file', 255).nullable();
    t.index(['code_digest']);
    t.index(['runtime']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.dropColumns('runtime', 'entry', 'calling', 'code_digest', 'code_file');
  });
  await knex.schema.dropTable('code_packages');
  await knex.schema.dropTable('runtimes');
}
