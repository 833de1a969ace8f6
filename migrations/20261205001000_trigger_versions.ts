import type { Knex } from 'knex';

// Triggers may run a published version of their route, or the version an alias names at each firing
// (docs/api.md, "Versions and aliases"). Both null: the route as it is now. Never both set.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('triggers', (t) => {
    t.integer('route_version').nullable();
    t.string('route_alias', 255).nullable();
    // Deleting a version or an alias looks for the triggers that still use it.
    t.index(['project_id', 'app', 'route'], 'triggers_target_idx');
  });
  await knex.raw('ALTER TABLE triggers ADD CONSTRAINT triggers_version_or_alias CHECK (route_version IS NULL OR route_alias IS NULL)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE triggers DROP CONSTRAINT triggers_version_or_alias');
  await knex.schema.alterTable('triggers', (t) => {
    t.dropIndex(['project_id', 'app', 'route'], 'triggers_target_idx');
    t.dropColumn('route_alias');
    t.dropColumn('route_version');
  });
}
