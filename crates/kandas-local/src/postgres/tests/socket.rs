use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::postgres::socket::{socket_conninfo, socket_dir_beside, socket_dir_setting, socket_url};

#[test]
fn url_names_the_socket_directory_whatever_its_characters() {
    let dir = Path::new("/srv/k a+n&d=a%s?#/.kandas/pg.sock");
    let url = socket_url(dir, 54321, "kandas_service", "0af9", "kandas");
    let options = PgConnectOptions::from_str(&url).unwrap();
    assert_eq!(options.get_socket().map(|p| p.as_path()), Some(dir));
    assert_eq!(options.get_port(), 54321);
    assert_eq!(options.get_username(), "kandas_service");
    assert_eq!(options.get_database(), Some("kandas"));

    let plain = socket_url(
        Path::new("/w/.kandas/pg.sock"),
        5433,
        "kandas",
        "ab12",
        "postgres",
    );
    assert_eq!(
        plain,
        "postgres://kandas:ab12@localhost:5433/postgres?host=/w/.kandas/pg.sock"
    );
}

#[test]
fn socket_directory_sits_beside_the_data_directory() {
    assert_eq!(
        socket_dir_beside(Path::new("/w/.kandas/pg")),
        Path::new("/w/.kandas/pg.sock")
    );
}

#[test]
fn conninfo_and_setting_quote_the_directory() {
    assert_eq!(
        socket_conninfo(Path::new("/a b/it's\\"), 5, "kandas", "db"),
        "host='/a b/it\\'s\\\\' port=5 user='kandas' dbname='db' connect_timeout=10"
    );
    assert_eq!(
        socket_dir_setting(Path::new("/a,b/\"q\"")),
        "\"/a,b/\"\"q\"\"\""
    );
}
