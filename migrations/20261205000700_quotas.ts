import type { Knex } from 'knex';

// Per-project quotas set by an admin (docs/api.md, "Quotas"): a null column means "the
// configured default" ([DEFAULT] quota_running_calls, quota_queued_calls, quota_calls_per_second).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('quotas', (t) => {
    t.string('project_id', 64).primary();
    t.integer('running_calls').nullable();
    t.integer('queued_calls').nullable();
    t.integer('calls_per_second').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The counts the quotas check: a project's queued and running calls.
  await knex.raw("CREATE INDEX calls_project_active_idx ON calls (project_id, status) WHERE status IN ('queued', 'running')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS calls_project_active_idx');
  await knex.schema.dropTable('quotas');
}
