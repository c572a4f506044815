//! Checks of the contract as built: the committed API reference is the one the proto and the
//! error reasons give, and the descriptors the port serves keep the proto's annotations.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/api_reference.md"));
const COMMITTED_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api/reference.md");

/// The whole reference: what `build.rs` writes from the proto, then every error reason.
fn reference() -> String {
    format!("{GENERATED}\n{}", reasons_section())
}

/// The reasons' section of the reference: every reason, its codes and when it is given.
fn reasons_section() -> String {
    use crate::error::Reason;
    use strum::{EnumMessage, IntoEnumIterator};
    let mut text = String::from(
        "<a id=\"error-reasons\"></a>\n\n## Error reasons\n\n\
         Every error carries a `google.rpc.ErrorInfo` with domain `kandas.gov.kz` and one of \
         these reasons (written from `Reason` in `src/error/reason.rs`). A client matches on \
         the reason; the message is for people and may change.\n\n\
         | Reason | Code | When |\n| --- | --- | --- |\n",
    );
    for reason in Reason::iter() {
        let codes = reason
            .codes()
            .iter()
            .map(|&code| format!("`{}`", crate::error::code_name(code)))
            .collect::<Vec<_>>()
            .join(", ");
        let when = reason
            .get_documentation()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        text.push_str(&format!("| `{reason}` | {codes} | {when} |\n"));
    }
    text
}

/// `api/reference.md` is what `build.rs` writes from the proto today, followed by the error
/// reasons of `crate::error::Reason`. With `KANDAS_WRITE_API_REFERENCE=1` the test writes it
/// instead of comparing.
#[test]
fn api_reference_is_current() {
    let generated = reference();
    if std::env::var_os("KANDAS_WRITE_API_REFERENCE").is_some() {
        std::fs::write(COMMITTED_PATH, &generated).expect("api/reference.md is writable");
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED_PATH).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "api/reference.md differs from the proto and the reasons from line {}: committed {:?}, generated {:?}; \
             rewrite it with KANDAS_WRITE_API_REFERENCE=1 cargo test --lib api_reference",
            first_difference + 1,
            committed
                .lines()
                .nth(first_difference)
                .unwrap_or("<end of file>"),
            generated
                .lines()
                .nth(first_difference)
                .unwrap_or("<end of file>"),
        );
    }
}

/// Every RPC, message and enum of the package has its section in the reference, and the
/// annotations reach it.
#[test]
fn api_reference_covers_every_element_with_its_annotations() {
    let pool = crate::server::descriptor_pool().expect("served descriptors decode");
    for service in pool.services().filter(|s| s.package_name() == "kandas.v1") {
        assert!(GENERATED.contains(&format!("<a id=\"{}\"></a>", service.full_name())));
        for method in service.methods() {
            assert!(
                GENERATED.contains(&format!("| `{}` |", method.name())),
                "{} is missing",
                method.full_name()
            );
        }
    }
    for message in pool
        .all_messages()
        .filter(|m| m.package_name() == "kandas.v1")
    {
        assert!(
            GENERATED.contains(&format!("<a id=\"{}\"></a>", message.full_name())),
            "{} is missing",
            message.full_name()
        );
    }
    for enumeration in pool.all_enums().filter(|e| e.package_name() == "kandas.v1") {
        assert!(GENERATED.contains(&format!("<a id=\"{}\"></a>", enumeration.full_name())));
    }
    assert!(GENERATED.contains("| `request_id` | `requestId` | 1 | `string` | `REQUIRED` | "));
    assert!(GENERATED.contains("Resource `kandas.gov.kz/Person`, named `persons/{person}`."));
}

/// The descriptors reflection serves carry `google.api.field_behavior` and `google.api.resource`,
/// which prost's own descriptor types would have dropped.
#[test]
fn served_descriptors_carry_the_google_api_annotations() {
    let mut pool = prost_reflect::DescriptorPool::new();
    pool.decode_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
        .expect("the served set decodes");
    let field_behavior = pool
        .get_extension_by_name("google.api.field_behavior")
        .expect("field_behavior is declared");
    let request = pool
        .get_message_by_name("kandas.v1.RegisterPersonRequest")
        .expect("RegisterPersonRequest");
    let request_id = request.get_field_by_name("request_id").expect("request_id");
    let options = request_id.options();
    assert!(options.has_extension(&field_behavior));
    let behaviours = options.get_extension(&field_behavior);
    let required = prost_reflect::Value::EnumNumber(2);
    assert_eq!(
        behaviours.as_list(),
        Some(&[required][..]),
        "request_id is REQUIRED as served"
    );

    let resource = pool
        .get_extension_by_name("google.api.resource")
        .expect("resource is declared");
    let person = pool
        .get_message_by_name("kandas.v1.Person")
        .expect("Person");
    let options = person.options();
    let descriptor = options.get_extension(&resource);
    let descriptor = descriptor.as_message().expect("a ResourceDescriptor");
    assert_eq!(
        descriptor.get_field_by_name("type").unwrap().as_str(),
        Some("kandas.gov.kz/Person")
    );
}

#[test]
fn the_reasons_section_lists_every_reason_with_its_codes() {
    let section = reasons_section();
    for reason in <crate::error::Reason as strum::IntoEnumIterator>::iter() {
        assert!(section.contains(&format!("| `{reason}` |")), "{reason}");
    }
    assert!(
        section.contains("| `MALFORMED_FRAME` | `INTERNAL`, `INVALID_ARGUMENT` |"),
        "{section}"
    );
}
