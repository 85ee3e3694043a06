//! The `query` and `ec2` protocols: form-encoded `Action=` requests, XML responses.
//!
//! Requests carry `Action`, `Version` and one parameter per scalar, named by
//! dotted paths (`Tags.member.1.Key` in query, `Tag.1.Key` in ec2, where every
//! list is flattened). Responses wrap the output in `<OpResponse>` (query adds
//! an `<OpResult>` and `ResponseMetadata`; ec2 puts `requestId` first).

mod envelope;
mod params;

use nimbus_core::AwsError;
use serde::Serialize;
use serde::de::DeserializeSeed;

use crate::de::query::{ParamDe, Path};
use crate::de::{Reader, Session, WireError};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Model, Operation, Shape};
use crate::protocol::Protocol;
use crate::ser::SerError;

pub(crate) use envelope::write_fields as envelope_fields;
pub use params::{ParamTree, request_params};

/// Which of the two query dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Query,
    Ec2,
}

/// The operation named by the `Action` parameter (form body or query string).
pub fn identify<'m>(model: &'m Model, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let params = request_params(request);
    let action = params
        .iter()
        .rev()
        .find(|(name, _)| name == "Action")
        .map(|(_, value)| value.as_str())
        .filter(|action| !action.is_empty())
        .ok_or_else(missing_action)?;
    model
        .operation(action)
        .ok_or_else(|| invalid_action(model, action))
}

/// A query request's parameters as a tree, read as the input structure.
/// `Action`, `Version` and unknown parameters are ignored.
pub(crate) struct QueryReader<'m> {
    shape: &'m Shape,
    tree: ParamTree,
}

impl<'m> QueryReader<'m> {
    /// `path_member`: the member a request to a resource's URL names it in
    /// (the model's profile says which, if any).
    pub fn new(shape: &'m Shape, request: &HttpRequest, path_member: Option<&str>) -> Self {
        let mut params = request_params(request);
        if let Some(member) = path_member
            && request.path.trim_matches('/').contains('/')
            && !params.iter().any(|(name, _)| name == member)
        {
            let host = request.header(http::header::HOST).unwrap_or("localhost");
            params.push((member.to_owned(), format!("http://{host}{}", request.path)));
        }
        let tree = ParamTree::build(
            params
                .iter()
                .filter(|(name, _)| name != "Action" && name != "Version")
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        QueryReader { shape, tree }
    }
}

impl Reader for QueryReader<'_> {
    type Error = WireError;

    fn read<T, S>(&self, session: &Session<'_>, seed: S) -> Result<T, WireError>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>,
    {
        seed.deserialize(ParamDe {
            s: session,
            shape: self.shape,
            member: None,
            node: &self.tree,
            path: Path::ROOT,
            depth: 0,
        })
    }

    fn format_error(&self, error: WireError) -> AwsError {
        AwsError::new("InvalidParameterValue", error.to_string(), 400)
    }
}

pub fn encode_response<T: Serialize + ?Sized>(
    dialect: Dialect,
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<HttpResponse, SerError> {
    envelope::success(dialect, model, operation, output, request_id)
}

pub fn encode_error(dialect: Dialect, model: &Model, error: &AwsError, request_id: &str) -> HttpResponse {
    envelope::error(dialect, model, error, request_id)
}

/// No `Action` parameter at all (or an empty one).
fn missing_action() -> AwsError {
    AwsError::new("MissingAction", "No action was supplied with this request.", 400)
}

/// An `Action` the service does not have, worded as each dialect's services word it.
fn invalid_action(model: &Model, action: &str) -> AwsError {
    let message = if model.protocol == Some(Protocol::Ec2) {
        format!("The action {action} is not valid for this web service.")
    } else {
        format!(
            "Could not find operation {action} for version {}",
            model.metadata.api_version
        )
    };
    AwsError::new("InvalidAction", message, 400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use nimbus_core::Value;

    type ServiceModel = Model;

    fn decode(
        dialect: Dialect,
        model: &Model,
        operation: &Operation,
        request: &HttpRequest,
    ) -> Result<Value, AwsError> {
        protocol(dialect).decode_request(model, operation, request)
    }

    fn protocol(dialect: Dialect) -> Protocol {
        match dialect {
            Dialect::Query => Protocol::Query,
            Dialect::Ec2 => Protocol::Ec2,
        }
    }

    fn encode_response(
        dialect: Dialect,
        model: &Model,
        operation: &Operation,
        output: &Value,
        request_id: &str,
    ) -> HttpResponse {
        protocol(dialect).encode_response(model, operation, output, request_id)
    }
    use http::{HeaderMap, HeaderValue, Method};
    use nimbus_core::{Timestamp, structure};

    const SHAPES: &str = r#"
        "Input": {"type": "structure", "members": {
            "Name": {"shape": "String"},
            "Renamed": {"shape": "String", "locationName": "other"},
            "Nested": {"shape": "Input"},
            "List": {"shape": "Strings"},
            "ItemList": {"shape": "Items"},
            "Flat": {"shape": "Strings", "flattened": true},
            "FlatItems": {"shape": "Items", "flattened": true, "locationName": "Flat2"},
            "Structs": {"shape": "Structs"},
            "Tags": {"shape": "TagMap"},
            "FlatTags": {"shape": "TagMap", "flattened": true},
            "Named": {"shape": "NamedMap"},
            "Count": {"shape": "Integer"},
            "Ratio": {"shape": "Double"},
            "On": {"shape": "Boolean"},
            "When": {"shape": "Time"},
            "Data": {"shape": "Blob"},
            "Queried": {"shape": "String", "locationName": "loc", "queryName": "QueryKey"},
            "lowerLoc": {"shape": "String", "locationName": "lowerLoc"}
        }},
        "Output": {"type": "structure", "members": {
            "Arn": {"shape": "String"},
            "Items": {"shape": "Items", "locationName": "itemSet"}
        }},
        "Detailed": {"type": "structure", "exception": true, "error": {"code": "Detailed.Code", "httpStatusCode": 409, "senderFault": true}, "members": {
            "message": {"shape": "String"},
            "Resource": {"shape": "String", "locationName": "resourceName"}
        }},
        "Strings": {"type": "list", "member": {"shape": "String"}},
        "Items": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
        "Structs": {"type": "list", "member": {"shape": "Input"}},
        "TagMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
        "NamedMap": {"type": "map", "key": {"shape": "String", "locationName": "Name"}, "value": {"shape": "Input", "locationName": "Val"}},
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Double": {"type": "double"},
        "Boolean": {"type": "boolean"},
        "Time": {"type": "timestamp"},
        "Blob": {"type": "blob"}
    "#;

    fn model(protocol: &str) -> ServiceModel {
        let json = format!(
            r#"{{"metadata": {{"protocol": "{protocol}", "apiVersion": "2011-06-15", "endpointPrefix": "sts",
                "xmlNamespace": "https://sts.amazonaws.com/doc/2011-06-15/"}},
               "operations": {{
                 "Op": {{"name": "Op", "http": {{"method": "POST", "requestUri": "/"}},
                        "input": {{"shape": "Input"}}, "output": {{"shape": "Output", "resultWrapper": "OpResult"}}}},
                 "NoOutput": {{"name": "NoOutput", "http": {{"method": "POST", "requestUri": "/"}}}}
               }},
               "shapes": {{{SHAPES}}}}}"#
        );
        ServiceModel::from_json(&json).expect("test model")
    }

    fn post(body: &str) -> HttpRequest {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        HttpRequest {
            method: Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    fn decode_op(dialect: Dialect, body: &str) -> Result<Value, AwsError> {
        let model = model(if dialect == Dialect::Ec2 { "ec2" } else { "query" });
        let request = post(body);
        let operation = identify(&model, &request)?;
        decode(dialect, &model, operation, &request)
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    #[test]
    fn identifies_the_action_from_body_or_query_string() {
        let model = model("query");
        assert_eq!(
            identify(&model, &post("Action=Op&Version=2011-06-15")).map(|o| &o.name),
            Ok(&"Op".to_owned())
        );
        let get = HttpRequest {
            method: Method::GET,
            query: "Action=NoOutput".into(),
            ..post("")
        };
        assert_eq!(
            identify(&model, &get).map(|o| &o.name),
            Ok(&"NoOutput".to_owned())
        );
    }

    #[test]
    fn a_missing_or_unknown_action_is_the_aws_error() {
        let model = model("query");
        let missing = identify(&model, &post("Version=2011-06-15")).expect_err("missing");
        assert_eq!((missing.code.as_ref(), missing.status), ("MissingAction", 400));
        let unknown = identify(&model, &post("Action=Nope&Version=2011-06-15")).expect_err("unknown");
        assert_eq!(unknown.code, "InvalidAction");
        assert_eq!(
            unknown.message,
            "Could not find operation Nope for version 2011-06-15"
        );
        let ec2 = identify(&self::model("ec2"), &post("Action=Nope")).expect_err("unknown");
        assert_eq!(ec2.message, "The action Nope is not valid for this web service.");
    }

    #[test]
    fn decodes_query_parameters_by_the_shape() {
        let value = decode_op(
            Dialect::Query,
            "Action=Op&Version=2011-06-15&Name=a%20b&other=r&Nested.Name=n&Nested.Nested.Count=2\
             &List.member.2=second&List.member.1=first&ItemList.item.1=i\
             &Flat.1=f&Flat2.1=g&Structs.member.1.Name=s\
             &Tags.entry.1.key=k&Tags.entry.1.value=v&FlatTags.1.key=fk&FlatTags.1.value=fv\
             &Named.entry.1.Name=x&Named.entry.1.Val.Name=y\
             &Count=-5&Ratio=Infinity&On=true&When=2014-04-29T18%3A30%3A38Z&Data=dmFsdWU%3D&Unknown=1",
        )
        .expect("decodes");
        let expected = structure! {
            "Name" => "a b",
            "Renamed" => "r",
            "Nested" => structure! {"Name" => "n", "Nested" => structure! {"Count" => 2i64}},
            "List" => strings(&["first", "second"]),
            "ItemList" => strings(&["i"]),
            "Flat" => strings(&["f"]),
            "FlatItems" => strings(&["g"]),
            "Structs" => Value::List(vec![structure! {"Name" => "s"}]),
            "Tags" => map(&[("k", "v".into())]),
            "FlatTags" => map(&[("fk", "fv".into())]),
            "Named" => map(&[("x", structure! {"Name" => "y"})]),
            "Count" => -5i64,
            "Ratio" => Value::Float(f64::INFINITY),
            "On" => true,
            "When" => Timestamp { seconds: 1_398_796_238, nanos: 0 },
            "Data" => Value::Blob(Bytes::from_static(b"value")),
        };
        assert_eq!(value, expected);
    }

    #[test]
    fn an_empty_parameter_is_an_empty_list() {
        let value = decode_op(Dialect::Query, "Action=Op&List=").expect("decodes");
        assert_eq!(value, structure! {"List" => Value::List(Vec::new())});
    }

    #[test]
    fn botocore_names_a_flattened_list_after_its_member() {
        // botocore sends `item.1` for a flattened list whose member is named `item`.
        let value = decode_op(Dialect::Query, "Action=Op&item.1=a&item.2=b").expect("decodes");
        assert_eq!(value, structure! {"FlatItems" => strings(&["a", "b"])});
    }

    #[test]
    fn decodes_the_ec2_dialect() {
        let value = decode_op(
            Dialect::Ec2,
            "Action=Op&Version=2016-11-15&Name=n&Other=r&List.1=a&List.2=b&ItemList.1=i\
             &Structs.1.Name=s&QueryKey=q&LowerLoc=l&Count=1",
        )
        .expect("decodes");
        let expected = structure! {
            "Name" => "n",
            "Renamed" => "r",
            "List" => strings(&["a", "b"]),
            "ItemList" => strings(&["i"]),
            "Structs" => Value::List(vec![structure! {"Name" => "s"}]),
            "Count" => 1i64,
            "Queried" => "q",
            "lowerLoc" => "l",
        };
        assert_eq!(value, expected);
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        for (dialect, body, message) in [
            (
                Dialect::Query,
                "Action=Op&Nested.Count=12x",
                "Value 12x for parameter Nested.Count is invalid. Reason: expected an integer.",
            ),
            (
                Dialect::Ec2,
                "Action=Op&Count=99999999999999999999",
                "Value (99999999999999999999) for parameter Count is invalid. Expected an integer.",
            ),
        ] {
            let err = decode_op(dialect, body).expect_err("malformed");
            assert_eq!((err.code.as_ref(), err.status), ("InvalidParameterValue", 400));
            assert_eq!(err.message, message);
        }
        for body in [
            "Action=Op&On=yes",
            "Action=Op&Ratio=1.2.3",
            "Action=Op&When=soon",
            "Action=Op&Data=%%%",
        ] {
            assert!(decode_op(Dialect::Query, body).is_err(), "{body}");
        }
    }

    #[test]
    fn hostile_parameters_do_not_recurse_without_bound() {
        let deep = format!("Action=Op&{}=x", vec!["Nested"; 100_000].join("."));
        assert_eq!(decode_op(Dialect::Query, &deep), Ok(Value::empty()));
        let wide = format!(
            "Action=Op&List.member.4294967295=x&List.member.{}=y",
            "9".repeat(40)
        );
        assert_eq!(
            decode_op(Dialect::Query, &wide),
            Ok(structure! {"List" => strings(&["x"])})
        );
    }

    fn body(response: &HttpResponse) -> String {
        String::from_utf8(response.body.to_vec()).expect("utf-8")
    }

    #[test]
    fn encodes_query_responses() {
        let model = model("query");
        let op = model.operation("Op").expect("op");
        let output = structure! {"Arn" => "arn:aws:iam::000000000000:root", "Items" => strings(&["a"])};
        let response = encode_response(Dialect::Query, &model, op, &output, "req-1");
        assert_eq!(response.status, 200);
        assert_eq!(
            response.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"text/xml"[..])
        );
        assert_eq!(
            response.headers.get("x-amzn-requestid").map(|v| v.as_bytes()),
            Some(&b"req-1"[..])
        );
        assert_eq!(
            body(&response),
            r#"<OpResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <OpResult>
    <Arn>arn:aws:iam::000000000000:root</Arn>
    <itemSet>
      <item>a</item>
    </itemSet>
  </OpResult>
  <ResponseMetadata>
    <RequestId>req-1</RequestId>
  </ResponseMetadata>
</OpResponse>"#
        );
        let no_output = model.operation("NoOutput").expect("op");
        let response = encode_response(Dialect::Query, &model, no_output, &Value::empty(), "req-2");
        assert!(!body(&response).contains("NoOutputResult"));
    }

    #[test]
    fn encodes_ec2_responses() {
        let model = model("ec2");
        let op = model.operation("Op").expect("op");
        let output = structure! {"Items" => strings(&["a", "b"])};
        let response = encode_response(Dialect::Ec2, &model, op, &output, "req-1");
        assert_eq!(
            response.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"text/xml;charset=UTF-8"[..])
        );
        assert_eq!(
            body(&response),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<OpResponse xmlns="http://ec2.amazonaws.com/doc/2011-06-15/">
  <requestId>req-1</requestId>
  <itemSet>
    <item>a</item>
    <item>b</item>
  </itemSet>
</OpResponse>"#
        );
    }

    #[test]
    fn encodes_query_errors_with_modeled_fields() {
        let model = model("query");
        let error = AwsError::new("Detailed.Code", "It <broke>", 409)
            .with_field("Resource", "r-1")
            .with_field("message", "duplicate")
            .with_field("Extra", structure! {"Inner" => 1i64});
        let response = encode_error(Dialect::Query, &model, &error, "req-1");
        assert_eq!(response.status, 409);
        assert_eq!(
            body(&response),
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>Detailed.Code</Code>
    <Message>It &lt;broke&gt;</Message>
    <resourceName>r-1</resourceName>
    <Extra>
      <Inner>1</Inner>
    </Extra>
  </Error>
  <RequestId>req-1</RequestId>
</ErrorResponse>"#
        );
        let internal = encode_error(Dialect::Query, &model, &AwsError::internal("boom"), "req-2");
        assert!(body(&internal).contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn encodes_ec2_errors() {
        let model = model("ec2");
        let error = AwsError::new(
            "InvalidInstanceID.NotFound",
            "The instance ID 'i-1' does not exist",
            400,
        );
        let response = encode_error(Dialect::Ec2, &model, &error, "req-1");
        assert_eq!(response.status, 400);
        assert_eq!(
            body(&response),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Errors>
    <Error>
      <Code>InvalidInstanceID.NotFound</Code>
      <Message>The instance ID 'i-1' does not exist</Message>
    </Error>
  </Errors>
  <RequestID>req-1</RequestID>
</Response>"#
        );
    }
}
