// The job store in one SQLite file. The queries are plain Kysely, so `KyselyJobStore` serves any
// dialect whose schema came from migrations.ts; only the opening here is SQLite's.

import { dirname } from 'node:path';

import { makeFolders } from '../folders.js';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Expression, type SqlBool } from 'kysely';

import type { Attempt, Job, JobEvent } from '../jobs/model.js';
import { AmbiguousJobIdError, AttemptNotFoundError, JobNotFoundError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import {
  attemptPatchToRow,
  attemptToRow,
  eventToRow,
  jobPatchToRow,
  jobToRow,
  rowToAttempt,
  rowToEvent,
  rowToJob,
  type StoreSchema,
} from './schema.js';
import type { AttemptPatch, EventQuery, JobFilter, JobPatch, JobStore } from './types.js';

/** How long a statement waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/** Rows per INSERT: 6 columns x 500 stays far below SQLite's limit on bound variables. */
const EVENT_INSERT_CHUNK = 500;

export async function openSqliteStore(file: string): Promise<JobStore> {
  if (file !== ':memory:') {
    makeFolders(dirname(file));
  }

  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  // With WAL this cannot corrupt the file; a power cut may only lose the last commits.
  database.pragma('synchronous = NORMAL');

  const db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database }) });

  try {
    await migrateToLatest(db, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw error;
  }

  return new KyselyJobStore(db);
}

export class KyselyJobStore implements JobStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  async createJob(job: Job): Promise<void> {
    await this.db.insertInto('jobs').values(jobToRow(job)).execute();
  }

  async updateJob(id: string, patch: JobPatch): Promise<void> {
    const row = jobPatchToRow(patch);
    if (Object.keys(row).length === 0) {
      return;
    }

    const result = await this.db
      .updateTable('jobs')
      .set(row)
      .where('id', '=', id)
      .executeTakeFirst();

    if (result.numUpdatedRows === 0n) {
      throw new JobNotFoundError(id);
    }
  }

  async getJob(idOrPrefix: string): Promise<Job | undefined> {
    const given = idOrPrefix.trim();
    if (given === '') {
      return undefined;
    }
    // ULIDs are uppercase, but people type and paste them in lowercase too.
    const candidates = [...new Set([given, given.toUpperCase()])];

    const exact = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', 'in', candidates)
      .executeTakeFirst();
    if (exact !== undefined) {
      return rowToJob(exact);
    }

    const matches = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where((eb) => eb.or(candidates.map((prefix) => startsWith(eb.ref('id'), prefix))))
      .limit(2)
      .execute();

    if (matches.length > 1) {
      throw new AmbiguousJobIdError(given, await this.countPrefixMatches(candidates));
    }
    return matches[0] === undefined ? undefined : rowToJob(matches[0]);
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    let query = this.db
      .selectFrom('jobs')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc');

    if (filter.status !== undefined) {
      query = query.where('status', '=', filter.status);
    }
    if (filter.limit !== undefined) {
      query = query.limit(filter.limit);
    }

    const rows = await query.execute();
    return rows.map(rowToJob);
  }

  async addAttempt(attempt: Attempt): Promise<void> {
    await this.db.insertInto('attempts').values(attemptToRow(attempt)).execute();
  }

  async updateAttempt(jobId: string, number: number, patch: AttemptPatch): Promise<void> {
    const row = attemptPatchToRow(patch);
    if (Object.keys(row).length === 0) {
      return;
    }

    const result = await this.db
      .updateTable('attempts')
      .set(row)
      .where('job_id', '=', jobId)
      .where('number', '=', number)
      .executeTakeFirst();

    if (result.numUpdatedRows === 0n) {
      throw new AttemptNotFoundError(jobId, number);
    }
  }

  async listAttempts(jobId: string): Promise<Attempt[]> {
    const rows = await this.db
      .selectFrom('attempts')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('number', 'asc')
      .execute();

    return rows.map(rowToAttempt);
  }

  async addEvents(events: JobEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }

    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < events.length; start += EVENT_INSERT_CHUNK) {
        const chunk = events.slice(start, start + EVENT_INSERT_CHUNK);
        await trx.insertInto('events').values(chunk.map(eventToRow)).execute();
      }
    });
  }

  async listEvents(jobId: string, options: EventQuery = {}): Promise<JobEvent[]> {
    let query = this.db
      .selectFrom('events')
      .select(['job_id', 'attempt', 'time', 'stream', 'level', 'text'])
      .where('job_id', '=', jobId)
      .orderBy('id', options.tail === true ? 'desc' : 'asc');

    if (options.limit !== undefined) {
      query = query.limit(options.limit);
    }

    const rows = await query.execute();
    if (options.tail === true) {
      rows.reverse();
    }
    return rows.map(rowToEvent);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async countPrefixMatches(candidates: string[]): Promise<number> {
    const { count } = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll().as('count'))
      .where((eb) => eb.or(candidates.map((prefix) => startsWith(eb.ref('id'), prefix))))
      .executeTakeFirstOrThrow();

    return Number(count);
  }
}

/** `column LIKE 'prefix%'`, with the prefix's own wildcards taken literally. */
function startsWith(column: Expression<string>, prefix: string): Expression<SqlBool> {
  const pattern = `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  return sql<SqlBool>`${column} like ${pattern} escape '\\'`;
}
