//! Source model → compiled [`Model`]: shapes numbered in name order, members
//! resolved against their targets, operations and error codes indexed.

use std::collections::HashMap;
use std::sync::OnceLock;

use http::HeaderName;

use super::source::{SourceModel, SourceOperation, SourceRef, SourceShape, XmlNamespace};
use super::{
    Constraints, Location, Member, Model, Operation, OperationId, OperationRef, Pattern, Profile, Shape,
    ShapeId,
};
use crate::protocol::Protocol;
use crate::timestamp::TimestampFormat;

pub fn compile(name: &str, source: SourceModel, canonical: Option<&Model>) -> Result<Model, String> {
    let mut names: Vec<&String> = source.shapes.keys().collect();
    names.sort();
    let ids: HashMap<&str, ShapeId> = names
        .iter()
        .enumerate()
        .map(|(index, name)| (name.as_str(), ShapeId(index as u32)))
        .collect();
    let compiler = Compiler {
        source: &source,
        ids: &ids,
    };
    let shapes = names
        .iter()
        .map(|name| compiler.shape(name, &source.shapes[*name]))
        .collect::<Result<Vec<_>, _>>()?;
    let operations = source
        .operations
        .values()
        .enumerate()
        .map(|(position, operation)| compiler.operation(position, operation, canonical))
        .collect::<Result<Vec<_>, _>>()?;
    // A wire variant speaks for its service: the service's profile applies.
    let profile = match canonical {
        Some(model) if source.metadata.nimbus.is_null() => model.profile.clone(),
        _ => Profile::from_metadata(&source.metadata.nimbus)?,
    };
    let protocol =
        Protocol::from_model_name(&source.metadata.protocol, source.metadata.json_version.as_deref());
    let shape_names = names
        .iter()
        .map(|name| (Box::from(name.as_str()), ids[name.as_str()]))
        .collect();
    let mut operation_names: Vec<(Box<str>, usize)> = operations
        .iter()
        .map(|operation| (Box::from(operation.name.as_str()), operation.position))
        .collect();
    operation_names.sort_by(|a, b| a.0.cmp(&b.0));
    let error_codes = error_codes(&shapes);
    Ok(Model {
        name: name.to_owned(),
        metadata: source.metadata,
        protocol,
        shapes,
        operations,
        profile,
        shape_names,
        operation_names,
        error_codes,
        routes: OnceLock::new(),
    })
}

/// Exception shapes by name, then by `error.code` where no shape has that
/// name; of shapes sharing a code, the first by name.
fn error_codes(shapes: &[Shape]) -> Vec<(Box<str>, ShapeId)> {
    let mut codes: Vec<(Box<str>, ShapeId)> = Vec::new();
    let exceptions = || shapes.iter().filter(|shape| shape.is_exception());
    for shape in exceptions() {
        codes.push((Box::from(shape.name.as_str()), shape.id));
    }
    for shape in exceptions() {
        if let Some(code) = shape.error.as_ref().and_then(|error| error.code.as_deref())
            && !codes.iter().any(|(known, _)| &**known == code)
        {
            codes.push((Box::from(code), shape.id));
        }
    }
    codes.sort_by(|a, b| a.0.cmp(&b.0));
    codes
}

struct Compiler<'s> {
    source: &'s SourceModel,
    ids: &'s HashMap<&'s str, ShapeId>,
}

impl Compiler<'_> {
    fn id(&self, shape: &str) -> Result<ShapeId, String> {
        self.ids
            .get(shape)
            .copied()
            .ok_or_else(|| format!("shape {shape} is not in the model"))
    }

    fn target(&self, reference: &SourceRef) -> Result<&SourceShape, String> {
        self.source
            .shapes
            .get(&reference.shape)
            .ok_or_else(|| format!("shape {} is not in the model", reference.shape))
    }

    fn shape(&self, name: &str, shape: &SourceShape) -> Result<Shape, String> {
        let members = shape
            .members
            .iter()
            .map(|(member_name, reference)| {
                let required = shape.required.iter().any(|r| r == member_name);
                self.member(member_name, reference, required)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let part = |reference: &Option<SourceRef>, default: &str| {
            reference
                .as_ref()
                .map(|r| self.member(default, r, false).map(Box::new))
                .transpose()
        };
        let mut members_by_name: Vec<(Box<str>, u16)> = members
            .iter()
            .enumerate()
            .map(|(position, member)| (Box::from(member.name.as_str()), position as u16))
            .collect();
        members_by_name.sort_by(|a, b| a.0.cmp(&b.0));
        let members_by_json_key = members.iter().any(|m| m.json_key != m.name).then(|| {
            let mut by_key: Vec<(Box<str>, u16)> = members
                .iter()
                .enumerate()
                .map(|(position, member)| (Box::from(member.json_key.as_str()), position as u16))
                .collect();
            by_key.sort_by(|a, b| a.0.cmp(&b.0));
            by_key
        });
        let payload = shape
            .payload
            .as_ref()
            .and_then(|payload| members.iter().position(|member| &member.name == payload));
        let required = members
            .iter()
            .enumerate()
            .filter(|(_, member)| member.required)
            .map(|(position, _)| position)
            .collect();
        Ok(Shape {
            id: self.id(name)?,
            name: name.to_owned(),
            kind: shape.kind,
            item: part(&shape.member, "member")?,
            key: part(&shape.key, "key")?,
            value: part(&shape.value, "value")?,
            members,
            members_by_name,
            members_by_json_key,
            payload,
            required,
            union: shape.union,
            document: shape.document,
            exception: shape.exception,
            error: shape.error.clone(),
            event_stream: shape.eventstream,
            streaming: shape.streaming,
            flattened: shape.flattened,
            sparse: shape.sparse,
            sensitive: shape.sensitive,
            location_name: shape.location_name.clone(),
            xml_namespace: shape.xml_namespace.clone(),
            timestamp_format: TimestampFormat::from_model(shape.timestamp_format.as_deref()),
            constraints: Constraints {
                enum_values: shape.enum_values.clone(),
                min: shape.min,
                max: shape.max,
                pattern: shape.pattern.clone().map(Pattern::new),
            },
        })
    }

    fn member(&self, name: &str, reference: &SourceRef, required: bool) -> Result<Member, String> {
        let target = self.target(reference)?;
        let resolved_location = reference
            .location_name
            .as_deref()
            .or(target.location_name.as_deref());
        let wire_name = reference.location_name.as_deref().unwrap_or(name);
        let header = match reference.location {
            Some(Location::Header) => HeaderName::from_bytes(wire_name.as_bytes()).ok(),
            _ => None,
        };
        let ec2_key = match (&reference.query_name, resolved_location) {
            (Some(query_name), _) => query_name.clone(),
            (None, Some(located)) => capitalize(located),
            (None, None) => name.to_owned(),
        };
        // A shape's own namespace applies at a document's root, except one
        // that binds a prefix (S3's Grantee binds `xsi` for its attribute).
        let xml_namespace = reference.xml_namespace.clone().or(match &target.xml_namespace {
            Some(namespace @ XmlNamespace::Prefixed { prefix: Some(_), .. }) => Some(namespace.clone()),
            _ => None,
        });
        Ok(Member {
            name: name.to_owned(),
            path_name: lower_first(name),
            target: self.id(&reference.shape)?,
            required,
            location: reference.location,
            location_name: reference.location_name.clone(),
            json_key: wire_name.to_owned(),
            xml_name: resolved_location.unwrap_or(name).to_owned(),
            has_xml_name: resolved_location.is_some(),
            query_key: resolved_location.unwrap_or(name).to_owned(),
            ec2_key_named: reference.query_name.is_some() || resolved_location.is_some(),
            ec2_key,
            header,
            flattened: reference.flattened.unwrap_or(target.flattened),
            xml_attribute: reference.xml_attribute,
            xml_namespace,
            timestamp_format: TimestampFormat::from_model(
                reference
                    .timestamp_format
                    .as_deref()
                    .or(target.timestamp_format.as_deref()),
            ),
            jsonvalue: reference.jsonvalue,
            idempotency_token: reference.idempotency_token,
            host_label: reference.host_label,
            streaming: reference.streaming || target.streaming,
            event_payload: reference.eventpayload,
        })
    }

    fn operation_ref(&self, reference: &Option<SourceRef>) -> Result<Option<OperationRef>, String> {
        reference
            .as_ref()
            .map(|r| {
                Ok(OperationRef {
                    shape: self.id(&r.shape)?,
                    location_name: r.location_name.clone(),
                    xml_namespace: r.xml_namespace.clone(),
                    result_wrapper: r.result_wrapper.clone(),
                })
            })
            .transpose()
    }

    fn operation(
        &self,
        position: usize,
        operation: &SourceOperation,
        canonical: Option<&Model>,
    ) -> Result<Operation, String> {
        let id = match canonical {
            None => position,
            Some(model) => match model.operation(&operation.name) {
                Some(same) => same.position,
                None => model.operations.len() + position,
            },
        };
        Ok(Operation {
            name: operation.name.clone(),
            position,
            id: OperationId(u16::try_from(id).map_err(|_| "too many operations".to_owned())?),
            http: operation.http.clone(),
            input: self.operation_ref(&operation.input)?,
            output: self.operation_ref(&operation.output)?,
            errors: operation
                .errors
                .iter()
                .map(|error| self.id(&error.shape))
                .collect::<Result<_, _>>()?,
            deprecated: operation.deprecated,
            http_checksum_required: operation.http_checksum_required,
            unsigned: operation.authtype.as_deref() == Some("none")
                || operation.auth.iter().any(|scheme| scheme == "smithy.api#noAuth"),
        })
    }
}

/// `tagKey` → `TagKey` (the ec2 protocol capitalizes `locationName`s).
pub fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `RoleArn` → `roleArn` (member names in validation messages).
pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
