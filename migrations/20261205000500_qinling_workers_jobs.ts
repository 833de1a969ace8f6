import type { Knex } from 'knex';

// Qinling's scale up/down and jobs (docs/qinling.md): a route's `min_hot` is how many hot containers
// the engine keeps for it even when idle; a schedule trigger may start at `start_at` (its first
// firing then, cron slots after), fire `remaining` more times, pass `input` as the call's body
// instead of the schedule event, and be `ended` ('done' when its count ran out, 'cancelled').
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('routes', (t) => {
    t.integer('min_hot').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('triggers', (t) => {
    t.timestamp('start_at', { useTz: true }).nullable();
    t.integer('remaining').nullable();
    t.text('input').nullable();
    t.string('ended', 16).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('triggers', (t) => {
    for (const c of ['start_at', 'remaining', 'input', 'ended']) t.dropColumn(c);
  });
  await knex.schema.alterTable('routes', (t) => t.dropColumn('min_hot'));
}
