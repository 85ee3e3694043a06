//! What one authorisation decision costs: a user with ten attached policies
//! (actions, resources with variables, conditions) and a queue policy,
//! decided over and over. `cargo bench -p nimbus-policy`; BENCHMARKS.md
//! records the figure. Policies are parsed once, as the authorizer caches
//! them.

use std::hint::black_box;
use std::time::Instant;

use nimbus_policy::{Context, Policies, Policy, PolicyKind, Principal, PrincipalType, Request, authorize};

fn identity_policy(n: usize) -> Policy {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":["sqs:Get*","sqs:List*"],"Resource":"arn:aws:sqs:*:111111111111:team{n}-*"}},
            {{"Effect":"Allow","Action":"dynamodb:Query","Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/${{aws:username}}-{n}",
              "Condition":{{"StringEquals":{{"aws:RequestedRegion":"us-east-1"}}}}}},
            {{"Effect":"Deny","NotAction":"s3:*","Resource":"arn:aws:s3:::secret-{n}/*"}}]}}"#
    );
    Policy::parse(&text, PolicyKind::Identity).expect("identity policy")
}

fn main() {
    let mut identity: Vec<Policy> = (0..9).map(identity_policy).collect();
    identity.push(
        Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage",
                "Resource":"arn:aws:sqs:us-east-1:111111111111:orders",
                "Condition":{"Bool":{"aws:SecureTransport":"false"},"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}"#,
            PolicyKind::Identity,
        )
        .expect("policy"),
    );
    let queue = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*",
            "Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}}]}"#,
        PolicyKind::Resource,
    )
    .expect("queue policy");
    let principal = Principal {
        arn: "arn:aws:iam::111111111111:user/alice".to_owned(),
        account: "111111111111".to_owned(),
        kind: PrincipalType::User,
    };
    let mut context = Context::new();
    context
        .set("aws:username", "alice")
        .set("aws:PrincipalAccount", "111111111111")
        .set("aws:RequestedRegion", "us-east-1")
        .set("aws:SecureTransport", "false")
        .set("aws:SourceIp", "127.0.0.1");
    let refs: Vec<&Policy> = identity.iter().collect();
    let request = Request {
        principal: &principal,
        action: "sqs:SendMessage",
        resource: "arn:aws:sqs:us-east-1:111111111111:orders",
        context: &context,
    };
    let policies = Policies {
        identity: &refs,
        resource: Some(&queue),
        resource_account: Some("111111111111"),
        ..Policies::default()
    };
    assert_eq!(authorize(&request, &policies), nimbus_policy::Decision::Allow);
    let rounds = 200_000;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(authorize(black_box(&request), black_box(&policies)));
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / f64::from(rounds));
    }
    println!("decision over 10 identity policies and a resource policy: {best:.0} ns (best of 5 x {rounds})");
}
