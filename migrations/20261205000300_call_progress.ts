import type { Knex } from 'knex';

// Progress of a running call (docs/function-contract.md, "Progress"): the last FRESCO_PROGRESS
// line its function wrote on stderr, written with the lease renewal of the call (not per line).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.smallint('progress').nullable();
    t.string('progress_message', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.dropColumn('progress');
    t.dropColumn('progress_message');
  });
}
