//! The integration tests: one binary, a module per area, one harness (`helpers`).
//!
//! Every test drives the real server over real gRPC with mutual TLS against real PostgreSQL.
//! One binary links once, shares one throwaway cluster, and runs every area in parallel.

mod helpers;
mod signing;

mod appeals;
mod applicant_signatures;
mod audit;
mod audit_attacks;
mod audit_evidence;
mod auth;
mod calendar_admin;
mod cli;
mod connect;
mod connections;
mod crl_hygiene;
mod database_log;
mod database_refusals;
mod database_restart;
mod dry_runs;
mod failover;
mod family_path;
mod faults;
mod handshake_flood;
mod health_and_reflection;
mod hostile_input;
mod iin_assignment;
mod intermediary;
mod isolation;
mod jurisdiction;
mod kandas_certificate;
mod least_privilege;
mod logs;
mod malformed_frames;
mod metadata;
mod metrics_and_shedding;
mod monitoring;
mod notification_path;
mod notification_steps;
mod notifications;
mod open_connections;
mod operator_commands;
mod organisations;
mod package;
mod person_record;
mod plausible_values;
mod point_in_time_restore;
mod portal_notifications_doc;
mod portal_signatures_doc;
mod procedure_boundaries;
mod procedures;
mod query_plans;
mod quota;
mod readme;
mod record_events;
mod record_feed;
mod record_life;
mod retention;
mod revocation;
mod schema;
mod stored_rows;
mod support;
mod traces;
