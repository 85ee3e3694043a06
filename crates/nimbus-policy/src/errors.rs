//! Why IAM refuses a policy document (MalformedPolicyDocument), in IAM's
//! words. Several of IAM's messages end without a full stop; they are
//! copied as IAM writes them.

use std::fmt;

/// A policy document IAM would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The text is not JSON.
    InvalidJson,
    /// JSON, but not the policy grammar.
    Syntax,
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    Version,
    /// A statement without `Action` or `NotAction`.
    NoActions,
    /// An identity policy statement without `Resource` or `NotResource`.
    NoResources,
    /// An identity policy naming a principal.
    PrincipalInIdentityPolicy,
    /// A trust policy naming resources.
    ResourceInTrustPolicy,
    /// A trust or resource policy statement naming no principal.
    NoPrincipals,
    /// An action with more than one colon.
    ActionColons,
    /// An action that names no service prefix.
    ActionWithoutVendor,
    /// A resource that is neither an ARN nor `*`.
    ResourceNotArn(String),
    /// A condition operator IAM does not know.
    UnknownOperator(String),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::InvalidJson => f.write_str("This policy contains invalid Json"),
            PolicyError::Syntax => f.write_str("Syntax errors in policy."),
            PolicyError::Version => f.write_str("The policy must contain a valid version string"),
            PolicyError::NoActions => f.write_str("Policy statement must contain actions."),
            PolicyError::NoResources => f.write_str("Policy statement must contain resources."),
            PolicyError::PrincipalInIdentityPolicy => {
                f.write_str("Policy document should not specify a principal.")
            }
            PolicyError::ResourceInTrustPolicy => f.write_str("Has prohibited field Resource"),
            PolicyError::NoPrincipals => f.write_str(
                "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: \
                 The passed in policy has a statement with no principals!",
            ),
            PolicyError::ActionColons => f.write_str("Actions/Condition can contain only one colon."),
            PolicyError::ActionWithoutVendor => {
                f.write_str("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            }
            PolicyError::ResourceNotArn(resource) => {
                write!(f, "Resource {resource} must be in ARN format or \"*\".")
            }
            PolicyError::UnknownOperator(_) => f.write_str("Syntax errors in policy."),
        }
    }
}

impl std::error::Error for PolicyError {}
