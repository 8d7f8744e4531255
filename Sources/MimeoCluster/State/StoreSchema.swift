import GRDB

/// The coordinator database's tables, as numbered migrations (docs/cluster-state.md: Tables).
///
/// A migration, once released, never changes: a later schema is a new migration appended here, so that a state file
/// written by an older coordinator is brought up to date when a newer one opens it.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs, shards, attempts, workers") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind INTEGER NOT NULL,
                    payload_version INTEGER NOT NULL,
                    payload BLOB NOT NULL,
                    label TEXT NOT NULL,
                    rows INTEGER NOT NULL CHECK (rows >= 1),
                    seed INTEGER NOT NULL,
                    model_hash BLOB NOT NULL,
                    output TEXT NOT NULL,
                    batch_rows INTEGER NOT NULL CHECK (batch_rows >= 1),
                    batches_per_shard INTEGER NOT NULL CHECK (batches_per_shard >= 1),
                    shard_count INTEGER NOT NULL CHECK (shard_count >= 1),
                    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                    lease_timeout_ms INTEGER NOT NULL CHECK (lease_timeout_ms >= 1),
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                    failure TEXT,
                    created_at INTEGER NOT NULL,
                    started_at INTEGER,
                    finished_at INTEGER,
                    done_shards INTEGER NOT NULL DEFAULT 0,
                    retries INTEGER NOT NULL DEFAULT 0,
                    failed_attempts INTEGER NOT NULL DEFAULT 0,
                    stale_answers INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE shards (
                    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    first_batch INTEGER NOT NULL,
                    batch_count INTEGER NOT NULL,
                    first_row INTEGER NOT NULL,
                    row_count INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    worker TEXT,
                    lease_expires_at INTEGER,
                    result_rows INTEGER,
                    result_bytes INTEGER,
                    result_checksum BLOB,
                    result_elapsed_ms INTEGER,
                    summary_version INTEGER,
                    summary BLOB,
                    done_at INTEGER,
                    PRIMARY KEY (job_id, idx),
                    CHECK ((state = 'leased') = (worker IS NOT NULL AND lease_expires_at IS NOT NULL)),
                    CHECK ((state = 'done') = (result_checksum IS NOT NULL))
                ) WITHOUT ROWID;
                CREATE INDEX shards_pending ON shards(job_id, idx) WHERE state = 'pending';
                CREATE INDEX shards_leased ON shards(lease_expires_at) WHERE state = 'leased';
                CREATE TABLE attempts (
                    job_id INTEGER NOT NULL,
                    shard_idx INTEGER NOT NULL,
                    attempt INTEGER NOT NULL CHECK (attempt >= 1),
                    worker TEXT NOT NULL,
                    leased_at INTEGER NOT NULL,
                    deadline INTEGER NOT NULL,
                    outcome TEXT CHECK (outcome IN ('completed', 'failed', 'expired', 'lost', 'restarted',
                                                    'cancelled', 'abandoned')),
                    reason TEXT,
                    ended_at INTEGER,
                    PRIMARY KEY (job_id, shard_idx, attempt),
                    FOREIGN KEY (job_id, shard_idx) REFERENCES shards(job_id, idx) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE workers (
                    name TEXT PRIMARY KEY NOT NULL,
                    address TEXT NOT NULL,
                    threads INTEGER NOT NULL,
                    slots INTEGER NOT NULL,
                    joined_at INTEGER NOT NULL,
                    last_heartbeat INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('up', 'gone'))
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: train jobs, tasks and rounds") { db in
            // A train job (kind 2) is also a row of `jobs`, which gives it its protocol job id, state, label and
            // counters; `train_jobs` holds what only training has (docs/cluster-state.md: Train jobs).
            try db.execute(sql: """
                CREATE TABLE train_jobs (
                    job_id INTEGER PRIMARY KEY NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    mode TEXT NOT NULL CHECK (mode IN ('federated', 'data-parallel')),
                    options TEXT NOT NULL,
                    phase TEXT NOT NULL CHECK (phase IN ('enrolling', 'load', 'analyze-counts', 'analyze-values',
                                                         'train-round', 'finished')),
                    round INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0),
                    round_attempt INTEGER NOT NULL DEFAULT 0 CHECK (round_attempt >= 0),
                    participants TEXT NOT NULL DEFAULT '[]',
                    encoding BLOB,
                    best_round INTEGER,
                    patience_left INTEGER,
                    epsilon_spent REAL,
                    final_model_hash BLOB,
                    final_model_bytes INTEGER,
                    next_task INTEGER NOT NULL DEFAULT 0,
                    CHECK ((final_model_hash IS NULL) = (final_model_bytes IS NULL))
                ) WITHOUT ROWID;
                CREATE TABLE train_tasks (
                    job_id INTEGER NOT NULL REFERENCES train_jobs(job_id) ON DELETE CASCADE,
                    task_idx INTEGER NOT NULL CHECK (task_idx >= 0),
                    phase TEXT NOT NULL CHECK (phase IN ('load', 'analyze-counts', 'analyze-values', 'train-round')),
                    round INTEGER NOT NULL CHECK (round >= 0),
                    site TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dropped', 'void')),
                    attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                    worker TEXT,
                    lease_expires_at INTEGER,
                    result_version INTEGER,
                    result BLOB,
                    done_at INTEGER,
                    PRIMARY KEY (job_id, task_idx),
                    CHECK ((state = 'leased') = (worker IS NOT NULL AND lease_expires_at IS NOT NULL)),
                    CHECK ((state = 'done') = (result IS NOT NULL))
                ) WITHOUT ROWID;
                CREATE INDEX train_tasks_pending ON train_tasks(site, job_id, task_idx) WHERE state = 'pending';
                CREATE INDEX train_tasks_leased ON train_tasks(lease_expires_at) WHERE state = 'leased';
                CREATE INDEX train_tasks_round ON train_tasks(job_id, round, phase);
                CREATE TABLE train_rounds (
                    job_id INTEGER NOT NULL REFERENCES train_jobs(job_id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 0),
                    weights BLOB NOT NULL,
                    train_loss REAL,
                    validation_loss REAL,
                    site_losses TEXT NOT NULL,
                    epsilon REAL,
                    participants TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (job_id, round)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
