//! The XML envelopes of query and ec2 responses and errors.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use nimbus_core::{AwsError, Value};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};

use super::Dialect;
use crate::codec::xml::{self, XmlWriter};
use crate::http_types::HttpResponse;
use crate::model::{Operation, ServiceModel, Shape};

/// `<OpResponse xmlns=..><OpResult>..</OpResult><ResponseMetadata>..` (query)
/// or `<OpResponse xmlns=..><requestId>..</requestId>..` (ec2).
pub fn success(
    dialect: Dialect,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let empty = Value::empty();
    let output = if matches!(output, Value::Structure(_)) {
        output
    } else {
        &empty
    };
    let response_name = format!("{}Response", operation.name);
    let mut out = writer(dialect);
    let mut root = BytesStart::new(response_name.as_str());
    root.push_attribute(("xmlns", namespace(dialect, model).as_str()));
    emit(&mut out, Event::Start(root));
    match dialect {
        Dialect::Query => {
            if let Some(output_ref) = &operation.output {
                let result_name = format!("{}Result", operation.name);
                xml::write_structure(&mut out, model, &output_ref.shape, output, &result_name, None);
            }
            emit(&mut out, Event::Start(BytesStart::new("ResponseMetadata")));
            xml::write_text_element(&mut out, "RequestId", request_id);
            emit(&mut out, Event::End(BytesEnd::new("ResponseMetadata")));
        }
        Dialect::Ec2 => {
            xml::write_text_element(&mut out, "requestId", request_id);
            if let Some(output_ref) = &operation.output {
                xml::write_members(&mut out, model, &output_ref.shape, output);
            }
        }
    }
    emit(&mut out, Event::End(BytesEnd::new(response_name.as_str())));
    response(dialect, 200, out, request_id)
}

/// `<ErrorResponse><Error><Type>..` (query) or `<Response><Errors><Error>..` (ec2).
pub fn error(dialect: Dialect, model: &ServiceModel, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut out = writer(dialect);
    match dialect {
        Dialect::Query => {
            let mut root = BytesStart::new("ErrorResponse");
            root.push_attribute(("xmlns", namespace(dialect, model).as_str()));
            emit(&mut out, Event::Start(root));
            error_element(&mut out, dialect, model, error);
            xml::write_text_element(&mut out, "RequestId", request_id);
            emit(&mut out, Event::End(BytesEnd::new("ErrorResponse")));
        }
        Dialect::Ec2 => {
            emit(&mut out, Event::Start(BytesStart::new("Response")));
            emit(&mut out, Event::Start(BytesStart::new("Errors")));
            error_element(&mut out, dialect, model, error);
            emit(&mut out, Event::End(BytesEnd::new("Errors")));
            xml::write_text_element(&mut out, "RequestID", request_id);
            emit(&mut out, Event::End(BytesEnd::new("Response")));
        }
    }
    response(dialect, error.status, out, request_id)
}

/// `<Error>` with the code, the message and the error's extra members, named
/// as its exception shape names them when the model has one.
fn error_element(out: &mut XmlWriter, dialect: Dialect, model: &ServiceModel, error: &AwsError) {
    emit(out, Event::Start(BytesStart::new("Error")));
    if dialect == Dialect::Query {
        let fault = if error.sender_fault { "Sender" } else { "Receiver" };
        xml::write_text_element(out, "Type", fault);
    }
    xml::write_text_element(out, "Code", &error.code);
    if !error.message.is_empty() {
        xml::write_text_element(out, "Message", &error.message);
    }
    // Looked up only when needed: finding it walks every shape of the model.
    let shape = if error.fields.is_empty() {
        None
    } else {
        exception_shape(model, &error.code)
    };
    for (name, value) in &error.fields {
        if ["Type", "Code", "Message"]
            .iter()
            .any(|taken| name.eq_ignore_ascii_case(taken))
        {
            continue;
        }
        match shape.and_then(|shape| shape.members.get(name)) {
            Some(reference) => xml::write_member(out, model, name, reference, value),
            None => xml::write_untyped(out, name, value),
        }
    }
    emit(out, Event::End(BytesEnd::new("Error")));
}

/// The exception shape whose wire code is `code` (its `error.code`, else its name).
fn exception_shape<'m>(model: &'m ServiceModel, code: &str) -> Option<&'m Shape> {
    let wire_code = |(name, shape): &(&'m String, &'m Shape)| {
        shape
            .error
            .as_ref()
            .and_then(|trait_| trait_.code.as_deref())
            .unwrap_or(name.as_str())
            == code
    };
    model
        .shapes
        .iter()
        .filter(|(_, shape)| shape.exception)
        .find(wire_code)
        .map(|(_, shape)| shape)
}

/// The `xmlns` of the response root: query services use the model's
/// `xmlNamespace`; ec2 always the versioned EC2 namespace with its trailing slash.
fn namespace(dialect: Dialect, model: &ServiceModel) -> String {
    let metadata = &model.metadata;
    match dialect {
        Dialect::Ec2 => format!("http://ec2.amazonaws.com/doc/{}/", metadata.api_version),
        Dialect::Query => metadata.xml_namespace.clone().unwrap_or_else(|| {
            format!(
                "https://{}.amazonaws.com/doc/{}/",
                metadata.endpoint_prefix, metadata.api_version
            )
        }),
    }
}

/// Indented like AWS's own responses; ec2 ones start with an XML declaration.
fn writer(dialect: Dialect) -> XmlWriter {
    let mut out = XmlWriter::new_with_indent(Vec::new(), b' ', 2);
    if dialect == Dialect::Ec2 {
        emit(&mut out, Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    }
    out
}

fn emit<'a>(out: &mut XmlWriter, event: impl Into<Event<'a>>) {
    // Writing into a Vec cannot fail.
    let _ = out.write_event(event);
}

fn response(dialect: Dialect, status: u16, out: XmlWriter, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        body: Bytes::from(out.into_inner()),
        ..HttpResponse::default()
    };
    let content_type = match dialect {
        Dialect::Query => "text/xml",
        Dialect::Ec2 => "text/xml;charset=UTF-8",
    };
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers.insert("x-amzn-RequestId", id);
    }
    response
}
