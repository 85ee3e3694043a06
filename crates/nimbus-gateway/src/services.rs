//! The services the binary registered, by model name.

use std::collections::BTreeMap;
use std::sync::Arc;

use nimbus_protocol::service::Service;

/// Registered services, keyed by [`Service::model_name`].
#[derive(Default)]
pub struct Services {
    by_model: BTreeMap<&'static str, Arc<dyn Service>>,
    /// The services with a front hook, asked about every request.
    fronts: Vec<Arc<dyn Service>>,
}

impl Services {
    /// Later registrations of the same model replace earlier ones.
    pub fn new(services: Vec<Arc<dyn Service>>) -> Self {
        let by_model: BTreeMap<&'static str, Arc<dyn Service>> = services
            .into_iter()
            .map(|service| (service.model_name(), service))
            .collect();
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

    /// The service's own path for a request that names its resource in the
    /// Host (S3's virtual-hosted buckets), from the service's front hook.
    pub fn host_path(&self, model: &str, host: Option<&str>, path: &str) -> Option<String> {
        self.get(model)?.front()?.host_path(host?, path)
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
