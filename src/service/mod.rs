//! Use cases. Each owns its transaction, its idempotency claim and its audit event; it asks
//! the pure rules in `domain` what to do and tells `store` to do it. Requests arrive here
//! already parsed into commands, and answers leave as typed values or as the wire message the
//! caller's transport chose (so a retry can be answered with the first answer's bytes).

pub mod admin;
pub mod applications;
pub mod audit_log;
pub mod certificates;
pub mod confirmation;
pub mod feed_stream;
pub mod job_runs;
pub mod jobs;
pub mod missed_deadlines;
pub mod mutation;
pub mod notifications;
pub mod organisations;
pub mod persons;
pub mod prerequisites;
pub mod quota;
pub mod record_feed;
pub mod records;
pub mod retention;
pub mod retention_operator;
pub mod support;
