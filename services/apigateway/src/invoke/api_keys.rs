//! API keys at invocation: a method that requires one takes the request's
//! `x-api-key` only if it is an enabled key in a usage plan that includes
//! the API's stage (else 403 Forbidden); that plan's throttle (its stage's
//! own, else the plan's) and quota (per day, week or month) then apply:
//! 429 Too Many Requests past the throttle, 429 Limit Exceeded past the
//! quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use nimbus_apigateway_api::{ApiResponse, QuotaSettings, UsagePlan};
use nimbus_core::RequestContext;

use super::{Invocation, message};
use crate::ApiGateway;

/// Requests counted per plan and key in the current quota period.
#[derive(Default)]
pub struct Quotas(Mutex<HashMap<String, (u64, u64)>>);

/// The quota period `now` falls in (days, weeks or months since the epoch).
fn period(quota: &QuotaSettings, now: SystemTime) -> u64 {
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let day = seconds / 86_400;
    match quota.period.as_deref() {
        Some("WEEK") => (day + 3) / 7,
        Some("MONTH") => {
            let date = time::OffsetDateTime::from(now);
            u64::try_from(date.year()).unwrap_or(0) * 12 + u64::from(u8::from(date.month()))
        }
        _ => day,
    }
}

impl Quotas {
    /// Counts a request of `key` against `quota`; false when it is used up.
    pub fn admit(&self, key: &str, quota: &QuotaSettings, now: SystemTime) -> bool {
        let Some(limit) = quota.limit.and_then(|l| u64::try_from(l).ok()) else {
            return true;
        };
        let Ok(mut counts) = self.0.lock() else {
            return true;
        };
        let current = period(quota, now);
        let entry = counts.entry(key.to_owned()).or_insert((current, 0));
        if entry.0 != current {
            *entry = (current, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }

    pub fn clear(&self) {
        if let Ok(mut counts) = self.0.lock() {
            counts.clear();
        }
    }
}

fn forbidden() -> ApiResponse {
    message(403, "Forbidden", "ForbiddenException")
}

impl ApiGateway {
    /// Admits a request to a method that requires an API key, or answers it.
    pub(super) async fn check_api_key(
        &self,
        ctx: &RequestContext,
        invocation: &Invocation<'_>,
    ) -> Result<(), ApiResponse> {
        let request = invocation.request;
        let value = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-api-key"))
            .map(|(_, value)| value.clone())
            .ok_or_else(forbidden)?;
        let keys = self.all_api_keys(ctx).await.map_err(|_| forbidden())?;
        let key = keys
            .iter()
            .find(|k| k.value.as_deref() == Some(value.as_str()) && k.enabled == Some(true))
            .ok_or_else(forbidden)?;
        let key_id = key.id.clone().unwrap_or_default();
        let plan = self
            .plan_of(ctx, &key_id, &request.api_id, &request.stage)
            .await
            .ok_or_else(forbidden)?;
        let plan_id = plan.id.clone().unwrap_or_default();
        let now = self.clock.now();
        let stage_throttle = plan
            .api_stages
            .iter()
            .flatten()
            .find(|s| {
                s.api_id.as_deref() == Some(request.api_id.as_str())
                    && s.stage.as_deref() == Some(request.stage.as_str())
            })
            .and_then(|s| s.throttle.as_ref())
            .and_then(|throttles| {
                let path = invocation.resource_path();
                let method = invocation.route.method.http_method.clone().unwrap_or_default();
                throttles.get(&format!("{path}/{method}")).cloned()
            });
        if let Some(throttle) = stage_throttle.or_else(|| plan.throttle.clone()) {
            let limits = (
                throttle.rate_limit.unwrap_or(f64::MAX),
                f64::from(throttle.burst_limit.unwrap_or(i32::MAX)),
            );
            if !self
                .key_throttles
                .admit(&format!("{plan_id}/{key_id}"), limits, now)
            {
                return Err(message(429, "Too Many Requests", "TooManyRequestsException"));
            }
        }
        if let Some(quota) = &plan.quota
            && !self.quotas.admit(&format!("{plan_id}/{key_id}"), quota, now)
        {
            return Err(message(429, "Limit Exceeded", "LimitExceededException"));
        }
        Ok(())
    }

    /// The usage plan that lets key `key_id` call `api`'s stage `stage`.
    async fn plan_of(&self, ctx: &RequestContext, key_id: &str, api: &str, stage: &str) -> Option<UsagePlan> {
        for plan in self.all_usage_plans(ctx).await.ok()? {
            let covers = plan
                .api_stages
                .iter()
                .flatten()
                .any(|s| s.api_id.as_deref() == Some(api) && s.stage.as_deref() == Some(stage));
            let id = plan.id.clone().unwrap_or_default();
            if covers
                && self
                    .plan_key_ids(ctx, &id)
                    .await
                    .ok()?
                    .iter()
                    .any(|k| k == key_id)
            {
                return Some(plan);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_quota_is_counted_per_period_and_refilled_in_the_next() {
        let quotas = Quotas::default();
        let quota = QuotaSettings {
            limit: Some(2),
            offset: None,
            period: Some("DAY".to_owned()),
        };
        let morning = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 100 + 3_600);
        assert!(quotas.admit("k", &quota, morning));
        assert!(quotas.admit("k", &quota, morning));
        assert!(!quotas.admit("k", &quota, morning + Duration::from_secs(3_600)));
        assert!(
            quotas.admit("k", &quota, morning + Duration::from_secs(86_400)),
            "a new day"
        );
    }
}
