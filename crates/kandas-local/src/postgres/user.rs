//! The OS user the server binaries run as, and making the data directory reachable for it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use nix::unistd::{Uid, User, geteuid};

use crate::LocalError;

/// The system user PostgreSQL runs as when kandas runs as root.
const SYSTEM_USER: &str = "postgres";

/// The unprivileged identity the server binaries run as when kandas runs as root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RunAs {
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) name: String,
}

pub(super) fn lookup_user_by_name(name: &str) -> Option<RunAs> {
    let user = User::from_name(name).ok().flatten()?;
    Some(RunAs {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        name: name.to_owned(),
    })
}

fn lookup_user_by_uid(uid: u32) -> Option<RunAs> {
    let user = User::from_uid(Uid::from_raw(uid)).ok().flatten()?;
    // An entry without a name is no better than none: the caller then names the uid.
    if user.name.is_empty() {
        return None;
    }
    Some(RunAs {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        name: user.name,
    })
}

pub(super) fn euid() -> u32 {
    geteuid().as_raw()
}

/// Decides who runs the server binaries: `None` means "as ourselves" (not root).
pub(super) fn choose_run_as(data_dir: &Path) -> Result<Option<RunAs>, LocalError> {
    let existing = fs::metadata(data_dir).ok();
    let me = euid();
    if me != 0 {
        if let Some(meta) = existing
            && meta.uid() != me
        {
            return Err(LocalError::DataDirOwner {
                data_dir: data_dir.to_path_buf(),
                owner: meta.uid(),
                uid: me,
            });
        }
        return Ok(None);
    }
    // Root: an existing cluster made by a normal user keeps running as that user.
    if let Some(meta) = &existing
        && meta.uid() != 0
        && data_dir.join("PG_VERSION").exists()
    {
        let user = lookup_user_by_uid(meta.uid()).unwrap_or_else(|| RunAs {
            uid: meta.uid(),
            gid: meta.gid(),
            name: format!("uid {}", meta.uid()),
        });
        return Ok(Some(user));
    }
    lookup_user_by_name(SYSTEM_USER)
        .map(Some)
        .ok_or_else(|| LocalError::NoPostgresUser {
            user: SYSTEM_USER.to_owned(),
        })
}

/// Whether `user` (with no supplementary groups, as the children run) may search `meta`.
fn searchable_by(meta: &fs::Metadata, user: &RunAs) -> bool {
    let mode = meta.mode();
    if meta.uid() == user.uid {
        mode & 0o100 != 0
    } else if meta.gid() == user.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Makes sure `user` can reach `dir` (an existing directory): ancestors inside `project_root`
/// get `o+x`; an ancestor outside it that blocks the way is an error. See the module docs.
pub(super) fn ensure_reachable(
    dir: &Path,
    data_dir: &Path,
    user: &RunAs,
    project_root: &Path,
) -> Result<(), LocalError> {
    let dir = fs::canonicalize(dir)
        .map_err(|e| LocalError::io(format!("resolving {}", dir.display()), e))?;
    let project_root = fs::canonicalize(project_root).unwrap_or_else(|_| project_root.into());
    // Outermost first, so that the first blocking directory is the one reported.
    let mut ancestors: Vec<&Path> = dir.ancestors().collect();
    ancestors.reverse();
    for ancestor in ancestors {
        let meta = fs::metadata(ancestor)
            .map_err(|e| LocalError::io(format!("inspecting {}", ancestor.display()), e))?;
        if searchable_by(&meta, user) {
            continue;
        }
        if ancestor.starts_with(&project_root) {
            let mode = meta.permissions().mode() | 0o001;
            fs::set_permissions(ancestor, fs::Permissions::from_mode(mode)).map_err(|e| {
                LocalError::io(
                    format!(
                        "allowing `{}` to traverse {}",
                        user.name,
                        ancestor.display()
                    ),
                    e,
                )
            })?;
            tracing::info!(
                dir = %ancestor.display(),
                user = %user.name,
                "added o+x so that PostgreSQL can reach its data directory"
            );
        } else {
            return Err(LocalError::DataDirUnreachable {
                data_dir: data_dir.to_path_buf(),
                blocked: ancestor.to_path_buf(),
                mode: meta.permissions().mode() & 0o7777,
                user: user.name.clone(),
            });
        }
    }
    Ok(())
}

pub(super) fn chown(path: &Path, user: &RunAs) -> Result<(), LocalError> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
        LocalError::io(
            format!(
                "changing the owner of {} to `{}`",
                path.display(),
                user.name
            ),
            e,
        )
    })
}

pub(super) fn chown_recursive(path: &Path, user: &RunAs) -> Result<(), LocalError> {
    chown(path, user)?;
    let meta = fs::symlink_metadata(path)
        .map_err(|e| LocalError::io(format!("inspecting {}", path.display()), e))?;
    if meta.is_dir() {
        let entries = fs::read_dir(path)
            .map_err(|e| LocalError::io(format!("listing {}", path.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| LocalError::io(format!("listing {}", path.display()), e))?;
            chown_recursive(&entry.path(), user)?;
        }
    }
    Ok(())
}
