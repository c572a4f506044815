-- The last run of each periodic job (retention, missed deadlines) on each replica, by each
-- trigger: what `kandas admin retention status` shows of when and where a job last ran.
--
-- One row per (job, replica, trigger), replaced by the next such run: the table holds as many
-- rows as replicas have ever run the jobs, not one per hour, and the service role needs no
-- DELETE to keep it so. An operator's run does not hide when the schedule last ran.
CREATE TABLE job_runs (
    job          text NOT NULL CONSTRAINT job_runs_job_known
                     CHECK (job IN ('retention', 'missed_deadlines')),
    -- The replica's host name and listen address, as it names itself.
    replica      text NOT NULL CONSTRAINT job_runs_replica_named
                     CHECK (length(replica) BETWEEN 1 AND 300),
    trigger      text NOT NULL CONSTRAINT job_runs_trigger_known
                     CHECK (trigger IN ('schedule', 'operator')),
    -- The organisation of the operator's certificate; NULL for the schedule.
    organisation text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    -- How many things it did: applications erased, applicants told.
    count        bigint NOT NULL CONSTRAINT job_runs_count_counts CHECK (count >= 0),
    outcome      text NOT NULL CONSTRAINT job_runs_outcome_known
                     CHECK (outcome IN ('done', 'lock_held', 'failed')),
    -- The class of error a failed run ended with (never its text, which may quote data).
    error_class  text,
    PRIMARY KEY (job, replica, trigger),
    CONSTRAINT job_runs_operator_named CHECK ((trigger = 'operator') = (organisation IS NOT NULL)),
    CONSTRAINT job_runs_failure_classed CHECK ((outcome = 'failed') = (error_class IS NOT NULL)),
    CONSTRAINT job_runs_in_order CHECK (finished_at >= started_at)
);
