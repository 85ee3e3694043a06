//! The IAM policy language for nimbus: documents parsed and checked as IAM
//! checks them ([`Policy::parse`]), one policy's verdict on a request
//! ([`Policy::evaluate`]), and the decision across every policy type that
//! speaks about it ([`authorize`]). Every authorisation in nimbus goes
//! through here: IAM users and roles, STS trust policies, S3 bucket
//! policies, SQS queue and SNS topic policies.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod condition;
mod context;
mod decision;
mod document;
mod errors;
mod operators;
mod pattern;
mod principal;
mod statement;
mod variables;
mod wildcard;

pub use condition::{Condition, Qualifier};
pub use context::{Context, Principal, PrincipalType, Request};
pub use decision::{Decision, Policies, PolicyType, authorize};
pub use document::{Effect, Listed, Policy, PolicyKind, Principals, Statement, Version};
pub use errors::PolicyError;
pub use operators::{Cidr, Compiled, Operator};
pub use pattern::Pattern;
pub use principal::Naming;
pub use statement::Verdict;
