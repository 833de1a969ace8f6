import type { Knex } from 'knex';

// Priorities (docs/api.md, "Priorities"): a route's default priority for its async calls, and
// each call's own (0 lowest – 9 highest; 4, the middle, unless set). Rows written before keep 4.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.smallint('priority').notNullable().defaultTo(4);
  });
  await knex.schema.alterTable('calls', (t) => {
    t.smallint('priority').notNullable().defaultTo(4);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.dropColumn('priority');
  });
  await knex.schema.alterTable('routes', (t) => {
    t.dropColumn('priority');
  });
}
