//! The static website endpoint's rules: which object a website request is
//! answered with, or where it is redirected.
//!
//! The gateway asks `nimbus:WebsiteRoute` {Bucket, Key, Host} (Key decoded,
//! without the leading `/`; Host as the request named it) and gets either
//! `{Action: "Redirect", Location, StatusCode}` or `{Action: "Serve", Key,
//! StatusCode}`; it then fetches a served key through GetObject/HeadObject,
//! so object bodies take GetObject's response path. Errors are S3's
//! (NoSuchBucket, NoSuchWebsiteConfiguration, NoSuchKey), which the gateway
//! renders as the website endpoint's HTML pages.
//!
//! Order, as S3 applies it: RedirectAllRequestsTo; routing rules without an
//! error-code condition; the key (index document for `/` and keys ending in
//! `/`); an object's website redirect location; `dir` → `dir/` when
//! `dir/<index>` exists; routing rules on the 404; the error document.

use nimbus_core::{AwsError, Value, from_value, to_value};
use nimbus_store::TableRef;
use serde::{Deserialize, Serialize};

use crate::generated::{RoutingRule, WebsiteConfiguration};
use crate::{S3, errors, records};

#[derive(Deserialize)]
struct WebsiteQuery {
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
    /// The Host the request named (redirects without a HostName keep it).
    #[serde(rename = "Host", default)]
    host: String,
}

/// How to answer a website request.
#[derive(Serialize, Debug, PartialEq)]
#[serde(tag = "Action")]
pub enum WebsiteAnswer {
    Redirect {
        #[serde(rename = "Location")]
        location: String,
        #[serde(rename = "StatusCode")]
        status_code: i64,
    },
    /// The object `key`, with `status_code` (404 for an error document).
    Serve {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "StatusCode")]
        status_code: i64,
    },
}

/// The status S3 answers a missing key with, as routing rules compare it.
const NOT_FOUND: &str = "404";

impl S3 {
    pub(crate) fn website_route(&self, input: Value) -> Result<Value, AwsError> {
        let query: WebsiteQuery = from_value(input)?;
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let bucket = records::bucket(&table, &query.bucket)?;
        let website = bucket.website.ok_or_else(|| {
            AwsError::new(
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
                404,
            )
            .with_field("BucketName", query.bucket.clone())
        })?;
        let site = Site {
            table: &table,
            bucket: &query.bucket,
            host: &query.host,
            config: &website,
        };
        site.answer(&query.key).map(|answer| to_value(&answer))
    }
}

/// One bucket's website, read inside one transaction.
struct Site<'a> {
    table: &'a TableRef,
    bucket: &'a str,
    host: &'a str,
    config: &'a WebsiteConfiguration,
}

impl Site<'_> {
    fn answer(&self, key: &str) -> Result<WebsiteAnswer, AwsError> {
        if let Some(target) = &self.config.redirect_all_requests_to {
            let protocol = target.protocol.as_deref().unwrap_or("http");
            return Ok(WebsiteAnswer::Redirect {
                location: format!("{protocol}://{}/{key}", target.host_name),
                status_code: 301,
            });
        }
        if let Some(rule) = self.matching_rule(key, None) {
            return Ok(self.redirect(rule, key));
        }
        let index = self.config.index_document.as_ref().map(|doc| doc.suffix.as_str());
        let object_key = match index {
            Some(suffix) if key.is_empty() || key.ends_with('/') => format!("{key}{suffix}"),
            _ => key.to_owned(),
        };
        if let Some(object) = self.object(&object_key)? {
            if let Some(location) = object.website_redirect_location {
                return Ok(WebsiteAnswer::Redirect {
                    location,
                    status_code: 301,
                });
            }
            return Ok(WebsiteAnswer::Serve {
                key: object_key,
                status_code: 200,
            });
        }
        // `/dir` names the folder when `dir/<index>` exists.
        if let Some(suffix) = index
            && !key.is_empty()
            && !key.ends_with('/')
            && self.object(&format!("{key}/{suffix}"))?.is_some()
        {
            return Ok(WebsiteAnswer::Redirect {
                location: format!("/{key}/"),
                status_code: 302,
            });
        }
        if let Some(rule) = self.matching_rule(key, Some(NOT_FOUND)) {
            return Ok(self.redirect(rule, key));
        }
        let missing = errors::no_such_key(&object_key);
        match &self.config.error_document {
            Some(document) if self.object(&document.key)?.is_some() => Ok(WebsiteAnswer::Serve {
                key: document.key.clone(),
                status_code: 404,
            }),
            // The page then also tells that the error document is missing.
            Some(document) => Err(missing.with_field("ErrorDocumentKey", document.key.clone())),
            None => Err(missing),
        }
    }

    /// The current version of `key`, unless absent or a delete marker.
    fn object(&self, key: &str) -> Result<Option<records::ObjectRecord>, AwsError> {
        Ok(records::current(self.table, self.bucket, key)?.filter(|object| !object.delete_marker))
    }

    /// The first routing rule whose condition holds: its key prefix (if any)
    /// starts the key, and its error code (if any) is `error_code`. Before
    /// the lookup (`error_code` None) rules with an error code never match.
    fn matching_rule(&self, key: &str, error_code: Option<&str>) -> Option<&RoutingRule> {
        self.config.routing_rules.iter().flatten().find(|rule| {
            let condition = rule.condition.as_ref();
            let prefix_holds = condition
                .and_then(|c| c.key_prefix_equals.as_deref())
                .is_none_or(|prefix| key.starts_with(prefix));
            let code_holds = match condition.and_then(|c| c.http_error_code_returned_equals.as_deref()) {
                None => true,
                Some(code) => error_code == Some(code),
            };
            prefix_holds && code_holds
        })
    }

    fn redirect(&self, rule: &RoutingRule, key: &str) -> WebsiteAnswer {
        let redirect = &rule.redirect;
        let protocol = redirect.protocol.as_deref().unwrap_or("http");
        let host = redirect.host_name.as_deref().unwrap_or(self.host);
        let path = match (&redirect.replace_key_with, &redirect.replace_key_prefix_with) {
            (Some(replacement), _) => replacement.clone(),
            (None, Some(new_prefix)) => {
                let old_prefix = rule
                    .condition
                    .as_ref()
                    .and_then(|c| c.key_prefix_equals.as_deref())
                    .unwrap_or("");
                let rest = key.strip_prefix(old_prefix).unwrap_or(key);
                format!("{new_prefix}{rest}")
            }
            (None, None) => key.to_owned(),
        };
        let status_code = redirect
            .http_redirect_code
            .as_deref()
            .and_then(|code| code.parse().ok())
            .unwrap_or(301);
        WebsiteAnswer::Redirect {
            location: format!("{protocol}://{host}/{path}"),
            status_code,
        }
    }
}
