/**
 * The tables of ElasticJob's RDB tracing for PostgreSQL, with its table, column and index names and types, so that
 * ElasticJob's console reads a history written here and the query API reads one written by ElasticJob. Our indexes
 * come on top: a job's latest rows, its latest failures, and the retention's scan by age.
 */
export const TRACING_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS JOB_EXECUTION_LOG (
    id VARCHAR(40) NOT NULL,
    job_name VARCHAR(100) NOT NULL,
    task_id VARCHAR(255) NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    ip VARCHAR(50) NOT NULL,
    sharding_item INT NOT NULL,
    execution_source VARCHAR(20) NOT NULL,
    failure_cause VARCHAR(4000) NULL,
    is_success BOOLEAN NOT NULL,
    start_time TIMESTAMP NULL,
    complete_time TIMESTAMP NULL,
    PRIMARY KEY (id))`,
  `CREATE TABLE IF NOT EXISTS JOB_STATUS_TRACE_LOG (
    id VARCHAR(40) NOT NULL,
    job_name VARCHAR(100) NOT NULL,
    original_task_id VARCHAR(255) NOT NULL,
    task_id VARCHAR(255) NOT NULL,
    slave_id VARCHAR(50) NOT NULL,
    source VARCHAR(50) NOT NULL,
    execution_type VARCHAR(20) NOT NULL,
    sharding_item VARCHAR(100) NOT NULL,
    state VARCHAR(20) NOT NULL,
    message VARCHAR(4000) NULL,
    creation_time TIMESTAMP NULL,
    PRIMARY KEY (id))`,
  'CREATE INDEX IF NOT EXISTS TASK_ID_STATE_INDEX ON JOB_STATUS_TRACE_LOG (task_id, state)',
  'CREATE INDEX IF NOT EXISTS JOB_EXECUTION_LOG_JOB_TIME_INDEX ON JOB_EXECUTION_LOG (job_name, start_time)',
  'CREATE INDEX IF NOT EXISTS JOB_EXECUTION_LOG_JOB_SUCCESS_INDEX ON JOB_EXECUTION_LOG (job_name, is_success, start_time)',
  'CREATE INDEX IF NOT EXISTS JOB_EXECUTION_LOG_TIME_INDEX ON JOB_EXECUTION_LOG (start_time)',
  'CREATE INDEX IF NOT EXISTS JOB_STATUS_TRACE_LOG_JOB_TIME_INDEX ON JOB_STATUS_TRACE_LOG (job_name, creation_time)',
  'CREATE INDEX IF NOT EXISTS JOB_STATUS_TRACE_LOG_TIME_INDEX ON JOB_STATUS_TRACE_LOG (creation_time)',
];

/** The key of the advisory locks of the tracing tables (their creation, and the retention latch). */
export const SCHEMA_LOCK_KEY = 0x454a5431; // "EJT1"
export const RETENTION_LOCK_KEY = 0x454a5432; // "EJT2"

/** Column widths of the tables (values are cut to fit rather than refused). */
export const FAILURE_CAUSE_LENGTH = 4000;
