import type { Knex } from 'knex';

// Chaining (docs/api.md, "Chaining"): a route's on_success / on_failure name the route whose async
// call follows each of its finished calls; a chained call keeps its lineage (parent, root, depth),
// and a call whose follow-up was not started says why in chain_error.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.string('on_success', 1300).nullable();
    t.string('on_failure', 1300).nullable();
  });
  await knex.schema.alterTable('calls', (t) => {
    t.uuid('parent_call_id').nullable();
    t.uuid('root_call_id').nullable();
    t.integer('depth').notNullable().defaultTo(0);
    t.text('chain_error').nullable();
  });
  await knex.raw('CREATE INDEX calls_root_call_id ON calls (root_call_id) WHERE root_call_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS calls_root_call_id');
  await knex.schema.alterTable('calls', (t) => {
    for (const c of ['parent_call_id', 'root_call_id', 'depth', 'chain_error']) t.dropColumn(c);
  });
  await knex.schema.alterTable('routes', (t) => {
    t.dropColumn('on_success');
    t.dropColumn('on_failure');
  });
}
