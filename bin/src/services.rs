//! The services this binary serves. A vendored model without an entry here
//! answers every operation with NotImplemented.

use std::sync::Arc;

use nimbus_core::authz::{Authorizer, Enforcement};
use nimbus_core::context::ServicePrincipal;
use nimbus_core::identity::CredentialRegistry;
use nimbus_protocol::service::Service;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// What services are built from: the state they keep and the time they read.
pub struct Environment {
    /// Durable state (or in memory with `--ephemeral`), shared by every service.
    pub store: Arc<Store>,
    /// The clock every time-dependent rule reads.
    pub clock: Clock,
    /// Credentials issued by STS and access keys created by IAM, shared with
    /// the gateway to resolve accounts.
    pub credentials: Arc<CredentialRegistry>,
    /// Where nimbus answers (what Lambda functions call it at).
    pub endpoint: String,
    /// `--enforce-iam`: services acting as their principals are held to
    /// resource policies too.
    pub enforce_iam: bool,
}

/// Every implemented service, and the authorizer `--enforce-iam` holds
/// their requests to (IAM's policies).
pub struct Built {
    pub services: Vec<Arc<dyn Service>>,
    pub authorizer: Arc<dyn Authorizer>,
    /// EC2, whose instances' processes end when nimbus stops.
    pub ec2: nimbus_ec2::Ec2,
}

/// Builds every implemented service.
pub fn all(env: &Environment) -> Built {
    let iam = nimbus_iam::Iam::new(
        Arc::clone(&env.store),
        env.clock.clone(),
        Arc::clone(&env.credentials),
    );
    let authorizer = iam.authorizer();
    let enforcement = Enforcement(env.enforce_iam.then(|| Arc::clone(&authorizer)));
    let principal = |name| ServicePrincipal::new(name, enforcement.clone());
    let sqs: Arc<dyn Service> = Arc::new(nimbus_sqs_api::SqsServer(nimbus_sqs::Sqs::new(
        Arc::clone(&env.store),
        env.clock.clone(),
    )));
    let logs: Arc<dyn Service> = Arc::new(nimbus_logs_api::LogsServer(nimbus_logs::Logs::new(
        Arc::clone(&env.store),
        env.clock.clone(),
    )));
    let streams: Arc<dyn Service> = Arc::new(nimbus_dynamodbstreams_api::DynamoDbStreamsServer(
        nimbus_dynamodb::DynamoDbStreams::new(Arc::clone(&env.store)),
    ));
    let lambda_service = nimbus_lambda::Lambda::new(Arc::clone(&env.store), env.clock.clone())
        .with_endpoint(env.endpoint.clone())
        // Event source mappings poll queues through SQS's ReceiveMessage.
        .with_queues(nimbus_sqs_api::SqsClient::new(Arc::clone(&sqs)))
        // Functions' output goes to CloudWatch Logs through its PutLogEvents.
        .with_logs(nimbus_logs_api::LogsClient::new(Arc::clone(&logs)))
        // And tables' streams through DynamoDB Streams' GetRecords.
        .with_streams(nimbus_dynamodbstreams_api::DynamoDbStreamsClient::new(
            Arc::clone(&streams),
        ));
    lambda_service.start_background();
    let lambda: Arc<dyn Service> = Arc::new(nimbus_lambda_api::LambdaServer(lambda_service.clone()));
    let sns: Arc<dyn Service> = Arc::new(nimbus_sns_api::SnsServer(
        nimbus_sns::Sns::new(
            Arc::clone(&env.store),
            env.clock.clone(),
            // SNS delivers to SQS through SQS's own SendMessage.
            Arc::new(
                nimbus_sns::SqsService::new(nimbus_sqs_api::SqsClient::new(Arc::clone(&sqs)))
                    .with_principal(principal("sns.amazonaws.com")),
            ),
        )
        // And to Lambda through Lambda's Invoke (asynchronous).
        .with_functions(Arc::new(
            nimbus_sns::function_delivery::LambdaService::new(nimbus_lambda_api::LambdaClient::new(
                Arc::clone(&lambda),
            ))
            .with_principal(principal("sns.amazonaws.com")),
        )),
    ));
    // Asynchronous invocations' records and failed events may go to topics.
    lambda_service.with_topics(nimbus_sns_api::SnsClient::new(Arc::clone(&sns)));
    let s3 = nimbus_s3::S3::new(Arc::clone(&env.store), env.clock.clone())
        // S3 event notifications go through SQS's SendMessage and SNS's Publish.
        .with_notifications(
            nimbus_sqs_api::SqsClient::new(Arc::clone(&sqs)),
            nimbus_sns_api::SnsClient::new(Arc::clone(&sns)),
        )
        // And to Lambda through Lambda's Invoke.
        .with_functions(nimbus_lambda_api::LambdaClient::new(Arc::clone(&lambda)))
        // As s3.amazonaws.com, which destinations' policies must let in.
        .with_principal(principal("s3.amazonaws.com"));
    let s3: Arc<dyn Service> = Arc::new(nimbus_s3_api::S3Server(s3));
    // Function packages may be S3 objects.
    lambda_service.with_objects(nimbus_s3_api::S3Client::new(Arc::clone(&s3)));
    let sts = nimbus_sts::Sts::new(Arc::clone(&env.credentials))
        .with_clock(env.clock.clone())
        .with_roles(iam.role_directory())
        .with_store(Arc::clone(&env.store));
    let sts: Arc<dyn Service> = Arc::new(nimbus_sts_api::StsServer(sts));
    // Functions run with sessions of their execution roles.
    lambda_service.with_roles(nimbus_sts_api::StsClient::new(Arc::clone(&sts)));
    // REST APIs invoke functions through Lambda's Invoke, as apigateway.amazonaws.com.
    let apigateway = nimbus_apigateway::ApiGateway::new(Arc::clone(&env.store), env.clock.clone())
        // AWS integrations call AWS APIs over HTTP, which is nimbus itself.
        .with_endpoint(env.endpoint.clone())
        .with_functions(nimbus_lambda_api::LambdaClient::new(Arc::clone(&lambda)))
        .with_principal(principal("apigateway.amazonaws.com"))
        // Stages' access logs go to CloudWatch Logs through its PutLogEvents.
        .with_logs(nimbus_logs_api::LogsClient::new(Arc::clone(&logs)));
    let iam: Arc<dyn Service> = Arc::new(nimbus_iam_api::IamServer(iam));
    // Instances' SDKs and CLI call nimbus where it listens.
    let ec2 =
        nimbus_ec2::Ec2::new(Arc::clone(&env.store), env.clock.clone()).with_endpoint(env.endpoint.clone());
    // Their metadata service hands out sessions of their instance profiles' roles.
    ec2.with_roles(
        nimbus_iam_api::IamClient::new(Arc::clone(&iam)),
        nimbus_sts_api::StsClient::new(Arc::clone(&sts)),
    );
    ec2.start_background();
    let ec2_server: Arc<dyn Service> = Arc::new(nimbus_ec2_api::Ec2Server(ec2.clone()));
    // Load balancers sit in EC2's subnets and forward to its instances.
    let elbv2 = nimbus_elbv2::Elbv2::new(Arc::clone(&env.store), env.clock.clone())
        .with_ec2(nimbus_ec2_api::Ec2Client::new(Arc::clone(&ec2_server)))
        // Lambda targets are invoked as elasticloadbalancing.amazonaws.com.
        .with_functions(
            nimbus_lambda_api::LambdaClient::new(Arc::clone(&lambda)),
            principal("elasticloadbalancing.amazonaws.com"),
        );
    elbv2.start_background();
    let services: Vec<Arc<dyn Service>> = vec![
        Arc::clone(&sts),
        // After STS: resetting STS empties the registry, IAM refills it.
        iam,
        Arc::clone(&sqs),
        Arc::clone(&sns),
        Arc::clone(&s3),
        Arc::new(nimbus_dynamodb_api::DynamoDbServer(
            nimbus_dynamodb::DynamoDb::new(Arc::clone(&env.store), env.clock.clone()),
        )),
        Arc::clone(&streams),
        Arc::clone(&lambda),
        Arc::clone(&logs),
        // One service answers both management APIs and invokes both kinds.
        Arc::new(nimbus_apigateway_api::ApiGatewayServer(apigateway.clone())),
        Arc::new(nimbus_apigatewayv2_api::ApiGatewayV2Server(apigateway)),
        ec2_server,
        Arc::new(nimbus_elbv2_api::Elbv2Server(elbv2)),
    ];
    Built {
        services,
        authorizer,
        ec2,
    }
}
