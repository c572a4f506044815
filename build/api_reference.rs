//! `api/reference.md`: the contract's reference for callers, written from the proto files' own
//! comments and annotations, so the reference cannot say what the contract does not.
//!
//! One section per file of the package, in file-name order; in each, the services with their
//! RPCs, then the messages with a table of fields, then the enums, in declaration order.

use protox::prost_reflect::{
    Cardinality, DescriptorPool, DynamicMessage, EnumDescriptor, FieldDescriptor, FileDescriptor,
    Kind, MessageDescriptor, ServiceDescriptor, Value,
};
use std::collections::HashMap;
use std::fmt::Write;

/// Renders every file of `package` in `pool` as Markdown.
pub fn render(pool: &DescriptorPool, package: &str) -> String {
    let annotations = Annotations::of(pool);
    let mut files: Vec<FileDescriptor> = pool
        .files()
        .filter(|file| file.package_name() == package)
        .collect();
    files.sort_by(|a, b| a.name().cmp(b.name()));

    let mut out = String::new();
    writeln!(out, "# `{package}` API reference").unwrap();
    out.push('\n');
    out.push_str(
        "Written by `build.rs` from the comments and annotations of `proto/`: change the proto, \
         not this file. `KANDAS_WRITE_API_REFERENCE=1 cargo test --lib api_reference` rewrites \
         it, and `cargo test` fails while it differs from the proto.\n\n\
         Every unary RPC is also served as JSON over HTTP (the Connect protocol): `POST \
         /<package>.<Service>/<Method>` with `Content-Type: application/json` and the request in \
         the proto3 JSON mapping, whose field names are the JSON column below. Field behaviour \
         follows Google's AIP-203: `REQUIRED` must be set, `OPTIONAL` may be left out, \
         `OUTPUT_ONLY` is set by the service and ignored on input, `IMMUTABLE` cannot change \
         once set, `IDENTIFIER` is the resource's name.\n\n",
    );

    let indexes: Vec<HashMap<Vec<i32>, String>> = files.iter().map(comment_index).collect();
    out.push_str("## Contents\n\n");
    for (file, index) in files.iter().zip(&indexes) {
        writeln!(out, "- [`{}`](#{})", file.name(), anchor(file.name())).unwrap();
        for service in file.services() {
            writeln!(
                out,
                "  - [{}](#{}): {}",
                service.name(),
                anchor(service.full_name()),
                first_sentence(index.get(service.path()).map_or("", String::as_str))
            )
            .unwrap();
        }
    }
    out.push('\n');

    for (file, index) in files.iter().zip(&indexes) {
        let comments_of = |path: &[i32]| index.get(path).cloned().unwrap_or_default();
        writeln!(out, "<a id=\"{}\"></a>\n", anchor(file.name())).unwrap();
        writeln!(out, "## `{}`\n", file.name()).unwrap();
        for service in file.services() {
            render_service(&mut out, &service, &comments_of);
        }
        for message in file.messages() {
            render_message(&mut out, &message, &annotations, &comments_of);
        }
        for enumeration in file.enums() {
            render_enum(&mut out, &enumeration, &comments_of);
        }
    }
    // One newline at the end, whatever the last section wrote.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_service(
    out: &mut String,
    service: &ServiceDescriptor,
    comments: &dyn Fn(&[i32]) -> String,
) {
    writeln!(out, "<a id=\"{}\"></a>\n", anchor(service.full_name())).unwrap();
    writeln!(out, "### {}\n", service.name()).unwrap();
    paragraph(out, &comments(service.path()));
    out.push_str("| RPC | Request | Response | Description |\n|---|---|---|---|\n");
    for method in service.methods() {
        let input = type_link(&method.input());
        let mut output = type_link(&method.output());
        if method.is_server_streaming() {
            output = format!("stream {output}");
        }
        let mut description = cell(&comments(method.path()));
        if method.is_server_streaming() {
            description.push_str(" Streaming: gRPC and gRPC-Web only, not Connect JSON.");
        }
        if deprecated(&method.options()) {
            description.insert_str(0, "**Deprecated.** ");
        }
        writeln!(
            out,
            "| `{}` | {input} | {output} | {} |",
            method.name(),
            description.trim()
        )
        .unwrap();
    }
    out.push('\n');
}

fn render_message(
    out: &mut String,
    message: &MessageDescriptor,
    annotations: &Annotations,
    comments: &dyn Fn(&[i32]) -> String,
) {
    if message.is_map_entry() {
        return;
    }
    writeln!(out, "<a id=\"{}\"></a>\n", anchor(message.full_name())).unwrap();
    writeln!(
        out,
        "### {}\n",
        relative_name(message.full_name(), message.package_name())
    )
    .unwrap();
    paragraph(out, &comments(message.path()));
    if let Some(resource) = annotations.resource(&message.options()) {
        writeln!(out, "Resource {resource}.\n").unwrap();
    }
    let fields: Vec<FieldDescriptor> = message.fields().collect();
    if fields.is_empty() {
        out.push_str("No fields.\n\n");
    } else {
        out.push_str("| Field | JSON | Number | Type | Behaviour | Description |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for field in &fields {
            let mut behaviour = annotations.field_behaviour(&field.options());
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                behaviour.push(format!("one of `{}`", oneof.name()));
            }
            if let Some(reference) = annotations.resource_reference(&field.options()) {
                behaviour.push(reference);
            }
            if deprecated(&field.options()) {
                behaviour.push("deprecated".to_owned());
            }
            writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} | {} |",
                field.name(),
                field.json_name(),
                field.number(),
                field_type(field),
                behaviour.join(", "),
                cell(&comments(field.path()))
            )
            .unwrap();
        }
        out.push('\n');
    }
    for nested in message.child_messages() {
        render_message(out, &nested, annotations, comments);
    }
    for nested in message.child_enums() {
        render_enum(out, &nested, comments);
    }
}

fn render_enum(
    out: &mut String,
    enumeration: &EnumDescriptor,
    comments: &dyn Fn(&[i32]) -> String,
) {
    writeln!(out, "<a id=\"{}\"></a>\n", anchor(enumeration.full_name())).unwrap();
    writeln!(
        out,
        "### {}\n",
        relative_name(enumeration.full_name(), enumeration.package_name())
    )
    .unwrap();
    paragraph(out, &comments(enumeration.path()));
    out.push_str("| Value | Number | Description |\n|---|---|---|\n");
    for value in enumeration.values() {
        writeln!(
            out,
            "| `{}` | {} | {} |",
            value.name(),
            value.number(),
            cell(&comments(value.path()))
        )
        .unwrap();
    }
    out.push('\n');
}

/// Google's annotations as the contract declares them in `proto/google/api`.
struct Annotations {
    field_behavior: Option<protox::prost_reflect::ExtensionDescriptor>,
    resource: Option<protox::prost_reflect::ExtensionDescriptor>,
    resource_reference: Option<protox::prost_reflect::ExtensionDescriptor>,
}

impl Annotations {
    fn of(pool: &DescriptorPool) -> Self {
        Annotations {
            field_behavior: pool.get_extension_by_name("google.api.field_behavior"),
            resource: pool.get_extension_by_name("google.api.resource"),
            resource_reference: pool.get_extension_by_name("google.api.resource_reference"),
        }
    }

    fn field_behaviour(&self, options: &DynamicMessage) -> Vec<String> {
        let Some(extension) = &self.field_behavior else {
            return Vec::new();
        };
        if !options.has_extension(extension) {
            return Vec::new();
        }
        let Kind::Enum(behaviours) = extension.kind() else {
            return Vec::new();
        };
        let value = options.get_extension(extension);
        let numbers: Vec<i32> = match value.as_ref() {
            Value::List(values) => values.iter().filter_map(Value::as_enum_number).collect(),
            other => other.as_enum_number().into_iter().collect(),
        };
        numbers
            .into_iter()
            .map(|number| match behaviours.get_value(number) {
                Some(value) => format!("`{}`", value.name()),
                None => format!("`{number}`"),
            })
            .collect()
    }

    fn resource(&self, options: &DynamicMessage) -> Option<String> {
        let descriptor = self.message_extension(&self.resource, options)?;
        let kind = string_field(&descriptor, "type");
        let patterns: Vec<String> = match descriptor.get_field_by_name("pattern").as_deref() {
            Some(Value::List(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(|s| format!("`{s}`")))
                .collect(),
            _ => Vec::new(),
        };
        Some(format!("`{kind}`, named {}", patterns.join(" or ")))
    }

    fn resource_reference(&self, options: &DynamicMessage) -> Option<String> {
        let reference = self.message_extension(&self.resource_reference, options)?;
        let kind = string_field(&reference, "type");
        if !kind.is_empty() {
            return Some(format!("names a `{kind}`"));
        }
        let child = string_field(&reference, "child_type");
        Some(format!("names the parent of a `{child}`"))
    }

    fn message_extension(
        &self,
        extension: &Option<protox::prost_reflect::ExtensionDescriptor>,
        options: &DynamicMessage,
    ) -> Option<DynamicMessage> {
        let extension = extension.as_ref()?;
        if !options.has_extension(extension) {
            return None;
        }
        options.get_extension(extension).as_message().cloned()
    }
}

/// Whether an element's options mark it `[deprecated = true]`.
fn deprecated(options: &DynamicMessage) -> bool {
    options
        .get_field_by_name("deprecated")
        .is_some_and(|v| v.as_bool() == Some(true))
}

fn string_field(message: &DynamicMessage, name: &str) -> String {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn field_type(field: &FieldDescriptor) -> String {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("a map field's kind is its entry message");
        };
        return format!(
            "map&lt;{}, {}&gt;",
            kind_name(&entry.map_entry_key_field().kind()),
            kind_name(&entry.map_entry_value_field().kind())
        );
    }
    let name = kind_name(&field.kind());
    match field.cardinality() {
        Cardinality::Repeated => format!("repeated {name}"),
        _ => name,
    }
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Message(message) => type_link(message),
        Kind::Enum(enumeration) => link(enumeration.full_name(), enumeration.package_name()),
        scalar => format!("`{}`", format!("{scalar:?}").to_lowercase()),
    }
}

fn type_link(message: &MessageDescriptor) -> String {
    link(message.full_name(), message.package_name())
}

/// A type of the package links to its section; another package's is named in full.
fn link(full_name: &str, package: &str) -> String {
    if package.starts_with("kandas.") {
        format!(
            "[`{}`](#{})",
            relative_name(full_name, package),
            anchor(full_name)
        )
    } else {
        format!("`{full_name}`")
    }
}

fn relative_name<'a>(full_name: &'a str, package: &str) -> &'a str {
    full_name
        .strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full_name)
}

/// Ids stay as the proto spells them, so a link names the type it points to.
fn anchor(name: &str) -> String {
    name.replace('/', "-")
}

/// The leading comment of every element of `file` that has one, by its path in the file,
/// with each line trimmed.
fn comment_index(file: &FileDescriptor) -> HashMap<Vec<i32>, String> {
    file.file_descriptor_proto()
        .source_code_info
        .iter()
        .flat_map(|info| &info.location)
        .filter_map(|location| {
            let text = location.leading_comments.as_deref()?;
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            Some((location.path.clone(), lines.join("\n").trim().to_owned()))
        })
        .collect()
}

fn paragraph(out: &mut String, text: &str) {
    if !text.is_empty() {
        out.push_str(&escape_markup(text));
        out.push_str("\n\n");
    }
}

/// A comment as one table cell: one line, with the cell separator escaped.
fn cell(text: &str) -> String {
    escape_markup(&text.split_whitespace().collect::<Vec<_>>().join(" ")).replace('|', "\\|")
}

/// Comments are prose, not HTML: outside code spans, `<role>` must read as text, not a tag.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

fn first_sentence(text: &str) -> String {
    let text = cell(text);
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text,
    }
}
