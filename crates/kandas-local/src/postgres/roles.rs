//! Who may log in to the private cluster and how they prove it.
//!
//! Sharing the server's OS account (the `postgres` user, when kandas runs as root) must grant
//! nothing: every login takes a password (`scram-sha-256`), and the passwords live in a pgpass
//! file beside the data directory (`D.pgpass`, e.g. `.kandas/pg.pgpass`), mode 0600 and owned
//! by the user kandas runs as, which the server's OS user cannot read. Three roles log in:
//!
//! * [`SUPERUSER`], made by initdb: kandas's own administration (psql) and nothing else;
//! * [`OWNER`]: owns the database `kandas`, its schema and every object in it; migrations run
//!   as this role;
//! * [`SERVICE`]: the role the service runs as. It owns nothing and has only the privileges
//!   the grant step gives it (see `crate::store::privileges`).
//!
//! A copy of the cluster (a standby, a base backup) streams as [`REPLICATION`], whose password
//! is also in a second file the server's user can read (`D.replication.pgpass`), because the
//! standby's walreceiver runs as that user.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::SUPERUSER;
use super::user::{RunAs, chown, euid};
use crate::LocalError;

/// Owns the database and its schema; migrations log in as this role.
pub const OWNER: &str = "kandas_owner";
/// The role the service logs in as: it owns nothing.
pub const SERVICE: &str = "kandas_service";
/// Streams WAL to copies of the cluster; made only when a copy is.
pub(super) const REPLICATION: &str = "kandas_replication";

/// Random bytes in a password: 256 bits, written as hex so that no URL, conninfo or pgpass
/// line ever needs escaping.
const PASSWORD_BYTES: usize = 32;

/// A fresh random password.
pub(super) fn new_password() -> Result<String, LocalError> {
    let mut bytes = [0u8; PASSWORD_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| {
        LocalError::io("drawing a random password", io::Error::other(e.to_string()))
    })?;
    Ok(hex::encode(bytes))
}

/// `D.pgpass` for the data directory `D`.
pub(super) fn pgpass_path(data_dir: &Path) -> PathBuf {
    sibling(data_dir, ".pgpass")
}

/// `D.replication.pgpass`: the replication password alone, for the server's own user.
pub(super) fn replication_pgpass_path(data_dir: &Path) -> PathBuf {
    sibling(data_dir, ".replication.pgpass")
}

fn sibling(data_dir: &Path, suffix: &str) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "pg".into());
    name.push(suffix);
    data_dir.with_file_name(name)
}

/// The passwords of a cluster's roles, as a pgpass file holds them (`*:*:*:role:password`),
/// so that an operator can hand the file to psql as `PGPASSFILE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Passwords {
    entries: Vec<(String, String)>,
}

impl Passwords {
    /// Reads `path`; a missing file holds no passwords. A file others could read is refused:
    /// its passwords must be taken as known and the file removed, which makes new ones.
    pub(super) fn read(path: &Path) -> Result<Passwords, LocalError> {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Passwords::default()),
            Err(e) => return Err(LocalError::io(format!("inspecting {}", path.display()), e)),
        };
        let refuse = |why: String| {
            LocalError::io(
                format!("using {} as the cluster's password file", path.display()),
                io::Error::new(io::ErrorKind::PermissionDenied, why),
            )
        };
        if !meta.is_file() {
            return Err(refuse("it is not a regular file; remove it".into()));
        }
        if meta.uid() != euid() {
            return Err(refuse(format!(
                "it belongs to uid {}, not to uid {} which kandas runs as; remove it to make new passwords",
                meta.uid(),
                euid()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(refuse(format!(
                "its mode {:o} lets others read it; remove it to make new passwords",
                meta.mode() & 0o7777
            )));
        }
        let text = fs::read_to_string(path)
            .map_err(|e| LocalError::io(format!("reading {}", path.display()), e))?;
        Ok(Passwords::parse(&text))
    }

    /// Lines `host:port:database:user:password`; `\:` and `\\` escape as libpq reads them.
    /// Comments, blank lines and lines of another shape are skipped, as libpq skips them.
    pub(super) fn parse(text: &str) -> Passwords {
        let mut entries = Vec::new();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let fields = split_pgpass_line(line);
            if let [_, _, _, user, password] = fields.as_slice()
                && !user.is_empty()
                && !password.is_empty()
            {
                entries.push((user.clone(), password.clone()));
            }
        }
        Passwords { entries }
    }

    pub(super) fn get(&self, role: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(user, _)| user == role)
            .map(|(_, password)| password.as_str())
    }

    /// The password of `role`, made (and added) if there is none yet; the flag says whether
    /// it was made now.
    pub(super) fn get_or_make(&mut self, role: &str) -> Result<(String, bool), LocalError> {
        if let Some(password) = self.get(role) {
            return Ok((password.to_owned(), false));
        }
        let password = new_password()?;
        self.set(role, &password);
        Ok((password, true))
    }

    pub(super) fn set(&mut self, role: &str, password: &str) {
        self.entries.retain(|(user, _)| user != role);
        self.entries.push((role.to_owned(), password.to_owned()));
    }

    /// Only the entry of `role`, for a file another user gets.
    pub(super) fn only(&self, role: &str) -> Passwords {
        Passwords {
            entries: self
                .entries
                .iter()
                .filter(|(user, _)| user == role)
                .cloned()
                .collect(),
        }
    }

    fn text(&self) -> String {
        let mut text = String::from(
            "# Written by kandas: the passwords of the private PostgreSQL cluster's roles.\n\
             # Usable as PGPASSFILE for psql. Remove the file to have new passwords made at the\n\
             # next start.\n",
        );
        for (user, password) in &self.entries {
            text.push_str(&format!(
                "*:*:*:{}:{}\n",
                escape_pgpass(user),
                escape_pgpass(password)
            ));
        }
        text
    }

    /// Writes the file (mode 0600) beside its final place and renames it there, so that a
    /// crash never leaves half a file; `owner` gets it when kandas runs as root for another
    /// user.
    pub(super) fn write(&self, path: &Path, owner: Option<&RunAs>) -> Result<(), LocalError> {
        let mut temporary = path.as_os_str().to_os_string();
        temporary.push(".new");
        let temporary = PathBuf::from(temporary);
        let _ = fs::remove_file(&temporary);
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(self.text().as_bytes())?;
                file.sync_all()
            })
            .map_err(|e| LocalError::io(format!("writing {}", temporary.display()), e))?;
        if let Some(user) = owner {
            chown(&temporary, user)?;
        }
        fs::set_permissions(&temporary, fs::Permissions::from_mode(0o600))
            .map_err(|e| LocalError::io(format!("restricting {}", temporary.display()), e))?;
        fs::rename(&temporary, path)
            .map_err(|e| LocalError::io(format!("writing {}", path.display()), e))
    }
}

fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field at least").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field at least").push(c),
        }
    }
    fields
}

fn escape_pgpass(value: &str) -> String {
    value.replace('\\', "\\\\").replace(':', "\\:")
}

/// A string literal for SQL: quotes doubled, `standard_conforming_strings` being on.
pub(super) fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An identifier for SQL, always quoted.
pub(super) fn sql_ident(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// Keeps the statements that follow out of the server log, whatever its configuration says:
/// they carry passwords. A failing statement's text is logged by default.
const UNLOGGED: &str = "SET log_statement = 'none';\nSET log_min_error_statement = panic;\n";

/// The script that makes the owner and service roles (if missing), takes from them every
/// attribute beyond logging in, and sets their passwords.
pub(super) fn roles_script(owner_password: &str, service_password: &str) -> String {
    let mut script = String::from(UNLOGGED);
    for (role, password) in [(OWNER, owner_password), (SERVICE, service_password)] {
        let ident = sql_ident(role);
        script.push_str(&format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN \
                 CREATE ROLE {ident}; \
               END IF; \
             END $$;\n\
             ALTER ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
               NOBYPASSRLS PASSWORD {password};\n",
            literal = sql_literal(role),
            password = sql_literal(password),
        ));
    }
    // The service role is a member of no role: membership of the owner would let it act as
    // the owner (SET ROLE) and so rewrite anything.
    script.push_str(&format!(
        "DO $$ DECLARE r record; BEGIN \
           FOR r IN SELECT m.roleid::regrole AS granted FROM pg_auth_members m \
                    WHERE m.member = {service}::regrole LOOP \
             EXECUTE format('REVOKE %s FROM {service_ident}', r.granted); \
           END LOOP; \
         END $$;\n",
        service = sql_literal(SERVICE),
        service_ident = sql_ident(SERVICE),
    ));
    script
}

/// The replication role (made if missing) with `password`.
pub(super) fn replication_role_script(password: &str) -> String {
    let ident = sql_ident(REPLICATION);
    format!(
        "{UNLOGGED}\
         DO $$ BEGIN \
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN \
             CREATE ROLE {ident}; \
           END IF; \
         END $$;\n\
         ALTER ROLE {ident} LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS \
           PASSWORD {password};\n",
        literal = sql_literal(REPLICATION),
        password = sql_literal(password),
    )
}

/// The script, run in `database`, that hands it to the owner role: the database itself, the
/// `public` schema where the superuser owns it (PostgreSQL before 15), and every table, view,
/// sequence and function in that schema that another role owns, as a cluster made by an older
/// kandas has them (the superuser ran the migrations there). Sequences that belong to a table
/// (identity, serial) follow their table.
pub(super) fn hand_to_owner_script(database: &str) -> String {
    let owner = sql_ident(OWNER);
    let owner_literal = sql_literal(OWNER);
    format!(
        "ALTER DATABASE {database} OWNER TO {owner};\n\
         DO $$ DECLARE r record; BEGIN \
           IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'public') = {superuser}::regrole THEN \
             ALTER SCHEMA public OWNER TO {owner}; \
           END IF; \
           FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c \
                    WHERE c.relnamespace = 'public'::regnamespace \
                      AND c.relowner <> {owner_literal}::regrole \
                      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') \
                      AND NOT EXISTS (SELECT FROM pg_depend d \
                                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                                        AND d.deptype IN ('a', 'i')) LOOP \
             EXECUTE format('ALTER %s %s OWNER TO {owner_format}', \
               CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' \
                 WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, \
               r.name); \
           END LOOP; \
           FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p \
                    WHERE p.pronamespace = 'public'::regnamespace \
                      AND p.proowner <> {owner_literal}::regrole LOOP \
             EXECUTE format('ALTER ROUTINE %s OWNER TO {owner_format}', r.name); \
           END LOOP; \
         END $$;\n",
        database = sql_ident(database),
        superuser = sql_literal(SUPERUSER),
        // Inside format()'s literal: the identifier's quotes as they are, single quotes doubled.
        owner_format = owner.replace('\'', "''"),
    )
}
