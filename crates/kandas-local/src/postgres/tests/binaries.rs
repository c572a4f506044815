use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::postgres::binaries::{REQUIRED_BINARIES, locate_with};

#[test]
fn locate_follows_the_search_order() {
    let tmp = tempfile::tempdir().unwrap();
    let make = |dir: &Path| {
        fs::create_dir_all(dir).unwrap();
        for name in REQUIRED_BINARIES {
            let file = dir.join(name);
            fs::write(&file, "#!/bin/sh\n").unwrap();
            fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let root = tmp.path();
    let none = locate_with(None, None, root).unwrap_err();
    let message = none.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("postgresql-server"), "{message}");
    assert!(message.contains("brew install postgresql"), "{message}");
    assert!(message.contains("KANDAS_PG_BIN"), "{message}");
    assert!(message.contains("KANDAS_DATABASE_URL"), "{message}");

    make(&root.join("opt/homebrew/opt/postgresql@14/bin"));
    make(&root.join("opt/homebrew/opt/postgresql@16/bin"));
    assert_eq!(
        locate_with(None, None, root).unwrap().bin_dir,
        root.join("opt/homebrew/opt/postgresql@16/bin")
    );
    make(&root.join("usr/local/pgsql/bin"));
    assert_eq!(
        locate_with(None, None, root).unwrap().bin_dir,
        root.join("usr/local/pgsql/bin")
    );
    make(&root.join("usr/lib/postgresql/9.6/bin"));
    make(&root.join("usr/lib/postgresql/15/bin"));
    make(&root.join("usr/lib/postgresql/13/bin"));
    assert_eq!(
        locate_with(None, None, root).unwrap().bin_dir,
        root.join("usr/lib/postgresql/15/bin")
    );
    let on_path = root.join("somewhere/bin");
    make(&on_path);
    fs::write(on_path.join("pg_ctl"), "").unwrap();
    fs::set_permissions(on_path.join("pg_ctl"), fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::join_paths([root.join("nothing"), on_path.clone()]).unwrap();
    assert_eq!(
        locate_with(None, Some(path.clone()), root).unwrap().bin_dir,
        on_path
    );
    let env = root.join("env/bin");
    make(&env);
    assert_eq!(
        locate_with(Some(env.clone().into()), Some(path.clone()), root)
            .unwrap()
            .bin_dir,
        env
    );
    let bad = locate_with(Some(root.join("missing").into()), Some(path), root).unwrap_err();
    assert!(bad.to_string().contains("KANDAS_PG_BIN="), "{bad}");
}
