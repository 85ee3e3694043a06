//! Function names as Lambda accepts them: a name (`my-function`), a
//! partial ARN (`123456789012:function:my-function`) or a full ARN, each
//! perhaps qualified (`:v1`, `:$LATEST`); and the ARNs Lambda answers with.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::errors;

/// A function as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    /// A version or alias, from the ARN or the Qualifier parameter.
    pub qualifier: Option<String>,
}

/// The pattern botocore's model gives FunctionName (its shape's constraint).
const NAME_PATTERN: &str = "(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn valid_qualifier(q: &str) -> bool {
    q == "$LATEST"
        || (!q.is_empty()
            && q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Lambda's model-level validation error (not an exception of its model).
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", message, 400)
}

fn pattern_error(value: &str, member: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: {NAME_PATTERN}"
    ))
}

/// Reads a FunctionName (name, partial ARN or ARN) and an optional
/// Qualifier parameter; the account of an ARN must be the caller's.
pub fn parse(ctx: &RequestContext, value: &str, qualifier: Option<&str>) -> Result<FunctionRef, AwsError> {
    let parts: Vec<&str> = value.split(':').collect();
    let (name, arn_qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, q] if *name != "function" => (*name, Some(*q)),
        [_account, "function", name] => (*name, None),
        [_account, "function", name, q] => (*name, Some(*q)),
        ["arn", _, "lambda", _region, _account, "function", name] => (*name, None),
        ["arn", _, "lambda", _region, _account, "function", name, q] => (*name, Some(*q)),
        _ => return Err(pattern_error(value, "functionName")),
    };
    if !valid_name(name) || arn_qualifier.is_some_and(|q| !valid_qualifier(q)) {
        return Err(pattern_error(value, "functionName"));
    }
    if let Some(account) = owner(value)
        && account != ctx.account_id
    {
        return Err(AwsError::new(
            "AccessDeniedException",
            format!("The function {value} belongs to another account."),
            403,
        ));
    }
    let qualifier = match (arn_qualifier, qualifier) {
        (Some(a), Some(b)) if a != b => {
            return Err(errors::invalid_parameter_value(
                "The derived qualifier from the function name does not match the specified qualifier.",
            ));
        }
        (Some(a), _) => Some(a.to_owned()),
        (None, Some(b)) => Some(b.to_owned()),
        (None, None) => None,
    };
    Ok(FunctionRef {
        name: name.to_owned(),
        qualifier,
    })
}

/// The account a partial ARN or an ARN names, if it names one.
pub fn owner(value: &str) -> Option<&str> {
    let mut parts = value.split(':');
    match (parts.next()?, parts.next()?) {
        (account, "function") => Some(account),
        ("arn", _) => parts.nth(2),
        _ => None,
    }
}

/// The context a request acts in on the function `value` names: the
/// caller's, or (for a function of another account that the caller was
/// authorised to use by its resource policy) the owner's.
pub fn owners_context(ctx: &RequestContext, value: &str) -> Option<RequestContext> {
    let account = owner(value).filter(|account| *account != ctx.account_id && account.len() == 12)?;
    let mut owner = ctx.clone();
    owner.account_id = account.to_owned();
    Some(owner)
}

/// `arn:aws:lambda:<region>:<account>:function:<name>`.
pub fn function_arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:function:{name}", ctx.region, ctx.account_id)
}

/// ResourceNotFoundException for a function (qualified when asked so).
pub fn not_found(ctx: &RequestContext, function: &FunctionRef) -> AwsError {
    let arn = function_arn(ctx, &function.name);
    let arn = match &function.qualifier {
        Some(q) => format!("{arn}:{q}"),
        None => arn,
    };
    errors::resource_not_found(format!("Function not found: {arn}")).with_field("Type", "User")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_partial_arns_and_arns_with_qualifiers() {
        let ctx = RequestContext::for_tests("lambda", "test");
        let account = ctx.account_id.clone();
        let plain = parse(&ctx, "hello", None).unwrap();
        assert_eq!((plain.name.as_str(), plain.qualifier), ("hello", None));
        let partial = parse(&ctx, &format!("{account}:function:hello:v1"), None).unwrap();
        assert_eq!(partial.qualifier.as_deref(), Some("v1"));
        let arn = format!("arn:aws:lambda:us-east-1:{account}:function:hello:$LATEST");
        assert_eq!(parse(&ctx, &arn, Some("$LATEST")).unwrap().name, "hello");
        assert!(parse(&ctx, &arn, Some("v2")).is_err());
        assert!(parse(&ctx, "bad name", None).is_err());
        assert!(parse(&ctx, "arn:aws:lambda:us-east-1:999999999999:function:x", None).is_err());
    }
}
