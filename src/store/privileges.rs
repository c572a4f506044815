//! What the service's database role may do (SPEC §7, decision 4): it owns nothing, reads and
//! writes the tables its queries need, and may only add to the audit evidence — no update,
//! delete, truncate or trigger change there. Migrations run as a separate owner role, which
//! then applies the decisions below with [`grant`].
//!
//! Every table of the schema has a decision here, made when the table is added: [`grant`]
//! refuses to run while a table has none, and a test compares the list with the migrated
//! schema, so a new table cannot reach the service role unreviewed.

use sqlx::{AssertSqlSafe, PgExecutor, PgPool};

/// A table privilege, as PostgreSQL names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
}

impl Privilege {
    fn sql(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
        }
    }
}

/// What the service role may do with one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Nothing: the service never touches it.
    Nothing,
    /// These privileges on the whole table.
    Table(&'static [Privilege]),
    /// Audit evidence: read it, and add rows giving only the `insert` columns; the database
    /// fills in the rest (identity, chain position), so a row cannot be planted inside the
    /// chain. The time of recording the service states itself (its tag covers it), and a
    /// trigger refuses one more than five minutes from the database clock, so a row cannot be
    /// backdated. `seal` columns may be written once by the sealer, and a trigger refuses any
    /// change to a sealed row.
    Evidence {
        insert: &'static [&'static str],
        seal: &'static [&'static str],
    },
}

use Privilege::{Delete, Insert, Select, Update};

/// Reads and changes, never deletes.
const READ_WRITE: &[Privilege] = &[Select, Insert, Update];
/// Written once, never changed.
const READ_APPEND: &[Privilege] = &[Select, Insert];

/// The decision for every table of the schema.
pub const TABLES: &[(&str, Access)] = &[
    // sqlx's record of applied migrations: the owner's business.
    ("_sqlx_migrations", Access::Nothing),
    ("persons", Access::Table(READ_WRITE)),
    // Issuing an IIN takes the prefix's next serial with INSERT .. ON CONFLICT DO UPDATE.
    ("iin_serials", Access::Table(READ_WRITE)),
    ("applications", Access::Table(READ_WRITE)),
    // The applicant's confirmation of each portal act: evidence, kept as it was given.
    ("applicant_confirmations", Access::Table(READ_APPEND)),
    // An overturned appeal removes the refusal it overturned (the appeal keeps a copy).
    ("decisions", Access::Table(&[Select, Insert, Delete])),
    ("idempotency_keys", Access::Table(READ_WRITE)),
    ("application_members", Access::Table(READ_APPEND)),
    ("kandas_statuses", Access::Table(READ_WRITE)),
    ("permits", Access::Table(READ_WRITE)),
    ("cards", Access::Table(READ_APPEND)),
    ("stateless_certificates", Access::Table(READ_APPEND)),
    ("registrations", Access::Table(READ_WRITE)),
    ("offences", Access::Table(READ_APPEND)),
    ("arrival_notifications", Access::Table(READ_APPEND)),
    ("mci_values", Access::Table(READ_WRITE)),
    ("quotas", Access::Table(READ_WRITE)),
    ("quota_inclusions", Access::Table(READ_APPEND)),
    ("quota_feed_head", Access::Table(&[Select, Update])),
    ("quota_decisions", Access::Table(READ_APPEND)),
    ("entitlement_lines", Access::Table(READ_WRITE)),
    ("payments", Access::Table(READ_APPEND)),
    ("calendar_years", Access::Table(READ_WRITE)),
    ("organisations", Access::Table(READ_WRITE)),
    ("person_documents", Access::Table(READ_APPEND)),
    ("person_versions", Access::Table(READ_APPEND)),
    ("appeals", Access::Table(READ_WRITE)),
    ("certificate_codes", Access::Table(READ_APPEND)),
    ("record_feed_head", Access::Table(&[Select, Update])),
    ("record_events", Access::Table(READ_APPEND)),
    ("record_subscriptions", Access::Table(READ_WRITE)),
    ("notification_feed_head", Access::Table(&[Select, Update])),
    // The applicant's notifications: written once with their act, never changed.
    ("notifications", Access::Table(READ_APPEND)),
    // The last run of each job per replica and trigger, replaced in place: never deleted.
    ("job_runs", Access::Table(READ_WRITE)),
    (
        "audit_events",
        Access::Evidence {
            insert: &[
                "recorded_at",
                "client",
                "role",
                "operator_id",
                "rpc",
                "subject",
                "request_id",
                "outcome",
                "applicant",
                "tag",
            ],
            // The sealer links events into the chain in place; `audit_events_append_only`
            // refuses any update of a sealed event.
            seal: &["seq", "prev_hash", "hash"],
        },
    ),
    (
        "audit_chain_head",
        Access::Evidence {
            insert: &[],
            // The sealer locks the head (FOR UPDATE needs an UPDATE privilege) and moves it.
            seal: &["seq", "hash"],
        },
    ),
    (
        "audit_signed_heads",
        Access::Evidence {
            insert: &["seq", "hash", "signed_at", "key_id", "signature"],
            seal: &[],
        },
    ),
    (
        // The sealer lists the events it will not seal; the time is the database's.
        "audit_refusals",
        Access::Evidence {
            insert: &["event_id", "reason", "after_seq"],
            seal: &[],
        },
    ),
];

/// Sequences the service draws numbers from (identity columns need no grant of their own).
pub const SEQUENCES: &[&str] = &["issued_numbers"];

/// The decision for `table`, if it has one.
pub fn access(table: &str) -> Option<Access> {
    TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, access)| *access)
}

/// Tables of the schema without a decision in [`TABLES`].
pub async fn undecided_tables(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    let tables = schema_tables(pool).await?;
    Ok(tables
        .into_iter()
        .filter(|table| access(table).is_none())
        .collect())
}

/// The tables, views and foreign tables of the schema.
async fn schema_tables<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT c.relname::text AS "name!" FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         ORDER BY 1"#
    )
    .fetch_all(executor)
    .await
}

/// Why the privileges could not be set.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error(
        "tables without a privilege decision for the service role: {}; add each to \
         kandas::store::privileges::TABLES",
        .0.join(", ")
    )]
    Undecided(Vec<String>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Gives `service_role` exactly the privileges of [`TABLES`] and [`SEQUENCES`] and takes
/// every other it had in the schema, in one transaction: run as the owner of the schema after
/// the migrations. Replicas starting together take turns.
pub async fn grant(owner: &PgPool, service_role: &str) -> Result<(), GrantError> {
    let mut tx = owner.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('kandas.privileges'))")
        .execute(&mut *tx)
        .await?;
    let tables = schema_tables(&mut *tx).await?;
    let undecided: Vec<String> = tables
        .iter()
        .filter(|table| access(table).is_none())
        .cloned()
        .collect();
    if !undecided.is_empty() {
        return Err(GrantError::Undecided(undecided));
    }
    let script = grant_script(&tables, service_role);
    // Dynamic: role and table names are identifiers, which no parameter can carry.
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The statements for the tables present (`tables`): first everything taken back, then the
/// decisions given. Names are quoted identifiers, whatever they hold.
pub fn grant_script(tables: &[String], service_role: &str) -> String {
    let role = ident(service_role);
    let mut script = format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};\n\
         REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};\n\
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n\
         REVOKE CREATE ON SCHEMA public FROM {role};\n\
         GRANT USAGE ON SCHEMA public TO {role};\n"
    );
    for table in tables {
        let name = ident(table);
        match access(table) {
            None | Some(Access::Nothing) => {}
            Some(Access::Table(privileges)) => {
                let list: Vec<&str> = privileges.iter().map(|p| p.sql()).collect();
                script.push_str(&format!("GRANT {} ON {name} TO {role};\n", list.join(", ")));
            }
            Some(Access::Evidence { insert, seal }) => {
                script.push_str(&format!("GRANT SELECT ON {name} TO {role};\n"));
                if !insert.is_empty() {
                    script.push_str(&format!(
                        "GRANT INSERT ({}) ON {name} TO {role};\n",
                        columns(insert)
                    ));
                }
                if !seal.is_empty() {
                    script.push_str(&format!(
                        "GRANT UPDATE ({}) ON {name} TO {role};\n",
                        columns(seal)
                    ));
                }
            }
        }
    }
    for sequence in SEQUENCES {
        script.push_str(&format!(
            "GRANT USAGE ON SEQUENCE {} TO {role};\n",
            ident(sequence)
        ));
    }
    script
}

fn columns(names: &[&str]) -> String {
    names
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The role a pool logs in as.
pub async fn login_role(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT session_user::text AS "role!""#)
        .fetch_one(pool)
        .await
}

/// Every way in which the role `pool` logs in as could rewrite the audit evidence or change
/// the schema: empty when it has least privilege.
pub async fn excess_privileges(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT r.rolname::text AS "role!", r.rolsuper AS "superuser!",
                r.rolcreaterole AS "create_role!",
                pg_has_role(session_user, n.nspowner, 'MEMBER') AS "owns_schema!",
                ARRAY(SELECT c.relname::text FROM pg_class c
                      WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                        AND pg_has_role(session_user, c.relowner, 'MEMBER')
                      ORDER BY 1) AS "owned!",
                ARRAY(SELECT c.relname::text FROM pg_class c
                      WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                        AND c.relname LIKE 'audit\_%'
                        AND (has_table_privilege(session_user, c.oid, 'UPDATE')
                             OR has_table_privilege(session_user, c.oid, 'DELETE')
                             OR has_table_privilege(session_user, c.oid, 'TRUNCATE')
                             OR has_table_privilege(session_user, c.oid, 'TRIGGER'))
                      ORDER BY 1) AS "rewritable!"
         FROM pg_roles r, pg_namespace n
         WHERE r.rolname = session_user AND n.nspname = 'public'"#
    )
    .fetch_one(pool)
    .await?;
    let (role, owned, rewritable) = (row.role, row.owned, row.rewritable);
    let (superuser, create_role, owns_schema) = (row.superuser, row.create_role, row.owns_schema);
    let mut problems = Vec::new();
    if superuser {
        problems.push(format!("the role {role} is a superuser"));
    }
    if create_role {
        problems.push(format!(
            "the role {role} may create roles (CREATEROLE), and so join any other"
        ));
    }
    if owns_schema {
        problems.push(format!(
            "the role {role} owns the schema public (or is a member of its owner), and so may \
             drop any table in it"
        ));
    }
    if !owned.is_empty() {
        problems.push(format!(
            "the role {role} owns (or is a member of the owner of) {}",
            listed(&owned)
        ));
    }
    if !rewritable.is_empty() {
        problems.push(format!(
            "the role {role} may update, delete, truncate or add triggers to {}",
            listed(&rewritable)
        ));
    }
    Ok(problems)
}

fn listed(names: &[String]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_tables_are_evidence_that_only_grows() {
        for (table, access) in TABLES {
            if table.starts_with("audit_") {
                assert!(
                    matches!(access, Access::Evidence { .. }),
                    "{table} is audit evidence: the service role may only read it and add rows"
                );
            }
        }
    }

    #[test]
    fn every_table_is_decided_once() {
        let mut names: Vec<&str> = TABLES.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a table is listed twice");
    }

    #[test]
    fn the_script_takes_everything_back_before_giving_and_quotes_names() {
        let tables = vec!["audit_events".to_owned(), "persons".to_owned()];
        let script = grant_script(&tables, "kandas\"service");
        let revoke = script.find("REVOKE ALL ON ALL TABLES").unwrap();
        let first_grant = script.find("GRANT SELECT").unwrap();
        assert!(revoke < first_grant, "{script}");
        assert!(script.contains("TO \"kandas\"\"service\""), "{script}");
        assert!(
            script.contains("GRANT INSERT (\"recorded_at\", \"client\", \"role\""),
            "{script}"
        );
        // Neither the identity nor a chain position can be chosen by the service.
        assert!(!script.contains("\"id\""), "{script}");
        assert!(!script.contains("INSERT (\"seq\""), "{script}");
        assert!(
            script.contains("GRANT SELECT, INSERT, UPDATE ON \"persons\""),
            "{script}"
        );
        assert!(!script.contains("DELETE ON \"audit"), "{script}");
    }
}
