// The schema's history, in code so that it ships inside the build. A migration never changes
// once released: add the next one instead.

import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

import { MigrationError } from './errors.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Brings the schema up to date; a no-op when it already is. */
export async function migrateToLatest<DB>(db: Kysely<DB>, dialect: SqlDialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });

  const { error, results } = await migrator.migrateToLatest();

  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new MigrationError(failed?.migrationName, { cause: error });
  }
}

export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}

// Migrations take Kysely<any> because they run against the schema of their own time,
// not the one in schema.ts.
function migrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_jobs': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('jobs')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('error_class', 'text')
          .addColumn('message', 'text')
          .addColumn('spec', 'text', (col) => col.notNull())
          .addColumn('image', 'text', (col) => col.notNull())
          .addColumn('created_at', 'text', (col) => col.notNull())
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text')
          .addColumn('dropped_events', 'integer', (col) => col.notNull().defaultTo(0))
          .execute();

        await db.schema.createIndex('jobs_created_at').on('jobs').column('created_at').execute();
      },
    },

    '0002_attempts': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('attempts')
          .addColumn('job_id', 'text', (col) =>
            col.notNull().references('jobs.id').onDelete('cascade'),
          )
          .addColumn('number', 'integer', (col) => col.notNull())
          .addColumn('container_id', 'text')
          .addColumn('engine_host', 'text', (col) => col.notNull())
          .addColumn('started_at', 'text', (col) => col.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('exit_code', 'integer')
          .addColumn('oom_killed', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('outcome', 'text')
          .addColumn('signature', 'text')
          .addColumn('engine_message', 'text')
          .addColumn('phase', 'text')
          .addColumn('delay_ms', 'integer')
          .addPrimaryKeyConstraint('attempts_pk', ['job_id', 'number'])
          .execute();
      },
    },

    '0003_events': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('events')
          .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', (col) =>
            dialect === 'postgres'
              ? col.primaryKey().generatedByDefaultAsIdentity()
              : col.primaryKey().autoIncrement(),
          )
          .addColumn('job_id', 'text', (col) =>
            col.notNull().references('jobs.id').onDelete('cascade'),
          )
          .addColumn('attempt', 'integer', (col) => col.notNull())
          .addColumn('time', 'text', (col) => col.notNull())
          .addColumn('stream', 'text', (col) => col.notNull())
          .addColumn('level', 'text', (col) => col.notNull())
          .addColumn('text', 'text', (col) => col.notNull())
          .execute();

        await db.schema
          .createIndex('events_job_id_id')
          .on('events')
          .columns(['job_id', 'id'])
          .execute();
      },
    },
  };
}
