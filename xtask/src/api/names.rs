//! Model names as Rust names.

use std::collections::HashSet;

/// Names the generated code uses itself; a shape named so gets a `Shape` suffix.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "Option",
    "String",
    "Vec",
    "Box",
    "Bytes",
    "Timestamp",
    "Document",
    "IndexMap",
    "Default",
    "Serialize",
    "Deserialize",
    "ByteStream",
    "AwsError",
    "RequestContext",
    "Call",
    "Reply",
    "Service",
    "Input",
    "Output",
    "NoInput",
    "Wire",
    "Protocol",
    "HttpResponse",
    "OperationId",
    "Future",
    "Arc",
    "BoxFuture",
    "Access",
    "Denial",
    "Resource",
    "ResourceRef",
];

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A shape name as a Rust type name: `tagListType` → `TagListType`.
pub fn type_name(shape: &str) -> String {
    let mut name: String = shape.chars().filter(char::is_ascii_alphanumeric).collect();
    if let Some(first) = name.get(..1) {
        let upper = first.to_ascii_uppercase();
        name.replace_range(..1, &upper);
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'S');
    }
    if TAKEN_TYPE_NAMES.contains(&name.as_str()) {
        name.push_str("Shape");
    }
    name
}

/// A member name as a field name, distinct within its struct.
pub fn unique_field_name(taken: &mut HashSet<String>, member: &str) -> String {
    let base = field_name(member);
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// `DBInstanceIdentifier` → `db_instance_identifier`, keywords made usable.
pub fn field_name(member: &str) -> String {
    let snake = snake_case(member);
    if UNRAWABLE.contains(&snake.as_str()) {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{snake}")
    } else {
        snake
    }
}

/// `ListQueueTags` → `LIST_QUEUE_TAGS`.
pub fn constant_name(operation: &str) -> String {
    snake_case(operation).to_ascii_uppercase()
}

pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "field".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_become_snake_case_fields() {
        assert_eq!(field_name("RoleArn"), "role_arn");
        assert_eq!(field_name("DBInstanceIdentifier"), "db_instance_identifier");
        assert_eq!(field_name("SSEKMSKeyId"), "ssekms_key_id");
        assert_eq!(field_name("Ipv6Address"), "ipv6_address");
        assert_eq!(field_name("MD5OfBody"), "md5_of_body");
        assert_eq!(field_name("message"), "message");
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(field_name("x-amz-id"), "x_amz_id");
    }

    #[test]
    fn colliding_fields_get_a_suffix() {
        let mut taken = HashSet::new();
        assert_eq!(unique_field_name(&mut taken, "Name"), "name");
        assert_eq!(unique_field_name(&mut taken, "name"), "name_2");
    }

    #[test]
    fn shape_names_become_type_names() {
        assert_eq!(type_name("tagListType"), "TagListType");
        assert_eq!(type_name("Option"), "OptionShape");
        assert_eq!(type_name("Credentials"), "Credentials");
        assert_eq!(constant_name("ListQueueTags"), "LIST_QUEUE_TAGS");
        assert_eq!(constant_name("GetObjectACL"), "GET_OBJECT_ACL");
    }
}
