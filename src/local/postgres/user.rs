//! The OS user the server binaries run as, and making the data directory reachable for it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::local::LocalError;

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
    let cname = std::ffi::CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the duration of the call; the reentrant variant
    // writes only into `pwd` and `buf`.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then(|| RunAs {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        name: name.to_owned(),
    })
}

fn lookup_user_by_uid(uid: u32) -> Option<RunAs> {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `lookup_user_by_name`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
        .to_string_lossy()
        .into_owned();
    Some(RunAs {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        name,
    })
}

pub(super) fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
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
