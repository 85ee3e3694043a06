//! The services the binary registered, by model name.

use std::collections::BTreeMap;
use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext};
use nimbus_protocol::service::{BoxFuture, Call, Reply, Service};

/// Registered services, keyed by [`Service::model_name`].
#[derive(Default)]
pub struct Services {
    by_model: BTreeMap<&'static str, Arc<dyn Service>>,
    /// The services with a front hook, asked about every request.
    fronts: Vec<Arc<dyn Service>>,
}

impl Services {
    /// Later registrations of the same model replace earlier ones.
    pub fn new(services: Vec<Arc<dyn Service>>, legacy: Vec<Arc<dyn nimbus_core::Service>>) -> Self {
        let mut by_model: BTreeMap<&'static str, Arc<dyn Service>> = services
            .into_iter()
            .map(|service| (service.model_name(), service))
            .collect();
        for service in legacy {
            by_model.insert(service.model_name(), Arc::new(Legacy(service)));
        }
        let fronts = by_model
            .values()
            .filter(|service| service.front().is_some())
            .cloned()
            .collect();
        Services { by_model, fronts }
    }

    /// The services with a front hook.
    pub fn fronts(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        self.fronts.iter()
    }

    pub fn get(&self, model: &str) -> Option<&Arc<dyn Service>> {
        self.by_model.get(model)
    }

    /// Model names of the registered services, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_model.keys().copied()
    }

    /// Calls [`Service::reset`] on every service.
    pub fn reset_all(&self) {
        for service in self.by_model.values() {
            service.reset();
        }
    }
}

/// A service on the value-tree interface, served as a [`Service`]: the
/// request decoded into a value, the value encoded.
struct Legacy(Arc<dyn nimbus_core::Service>);

impl Service for Legacy {
    fn model_name(&self) -> &'static str {
        self.0.model_name()
    }

    fn call<'a>(&'a self, ctx: &'a RequestContext, call: Call<'a>) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            let Some(wire) = call.into_wire() else {
                return Reply::Typed(Err(AwsError::internal("typed calls need a generated server")));
            };
            let decoded = match wire.stream.clone() {
                Some(stream) => {
                    wire.protocol
                        .decode_streaming_request(wire.model, wire.operation, wire.request, stream)
                }
                None => wire
                    .protocol
                    .decode_request(wire.model, wire.operation, wire.request),
            };
            let output = match decoded {
                Ok(input) => self.0.handle(ctx, &wire.operation.name, input).await,
                Err(error) => Err(error),
            };
            Reply::Wire(match output {
                Ok(output) => {
                    wire.protocol
                        .encode_response(wire.model, wire.operation, &output, wire.request_id)
                }
                Err(error) => wire.error(&error),
            })
        })
    }

    fn reset(&self) {
        self.0.reset();
    }
}
