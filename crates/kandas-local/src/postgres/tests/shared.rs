use super::psql_on;
use crate::postgres::shared::TEST_DIR_PREFIX;
use crate::postgres::shared_test_cluster;

#[test]
fn shared_cluster_is_shared_and_has_300_connections() {
    let a = shared_test_cluster().unwrap();
    let b = shared_test_cluster().unwrap();
    assert!(std::ptr::eq(a, b));
    assert_eq!(psql_on(a, "show max_connections").unwrap(), "300");
    assert_eq!(psql_on(a, "show fsync").unwrap(), "off");
    assert!(a.data_dir().starts_with(
        std::env::temp_dir().join(format!("{TEST_DIR_PREFIX}{}", std::process::id()))
    ));
}
