import type { Knex } from 'knex';

// Code packages kept in Swift ([swift] enabled, docs/runtimes.md): code_packages stays the index
// of every package (routes and route versions refer to it by digest), and a row whose bytes live
// in Swift, in the container of each project that uses it, has no content.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('code_packages', (t) => {
    t.binary('content').nullable().alter();
  });
}

// Fails while packages live only in Swift: their bytes cannot be brought back here.
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('code_packages', (t) => {
    t.binary('content').notNullable().alter();
  });
}
