import type { Knex } from 'knex';

// Replay of sync calls (docs/api.md, "Replay"): a route may keep its sync calls' input, as async
// calls keep theirs, so that they can be replayed. Off unless set; rows written before keep none.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.boolean('keep_input').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.dropColumn('keep_input');
  });
}
