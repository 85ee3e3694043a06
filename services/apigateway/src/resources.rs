//! Resources: the path tree of a REST API, each child a path part under
//! its parent (`pets`, a variable `{id}`, or a greedy `{proxy+}`), refused
//! as API Gateway refuses clashing or malformed parts.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::patch::{self, Kind, Rule, Wording, replace};
use crate::records::{self, ApiRecord};

/// A path part API Gateway accepts: `a-zA-Z0-9._-:`, or one such name in
/// braces with an optional `+` before the closing brace.
fn check_path_part(part: &str) -> Result<(), AwsError> {
    if part.is_empty() {
        return Err(errors::bad_request("ResourceShape's path part must be specified"));
    }
    let plain = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
    };
    let valid = match part.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
        Some(name) => plain(name.strip_suffix('+').unwrap_or(name)),
        None => plain(part),
    };
    if valid {
        Ok(())
    } else {
        Err(errors::bad_request(
            "ResourceShape's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
        ))
    }
}

fn is_variable(part: &str) -> bool {
    part.starts_with('{')
}

fn is_greedy(part: &str) -> bool {
    part.ends_with("+}")
}

/// A resource as GetResource(s) shows it: its methods in full when asked
/// to embed them, else only their verbs.
fn shown(resource: &ResourceShape, embed: &Option<Vec<String>>) -> ResourceShape {
    let embedded = embed.as_ref().is_some_and(|e| e.iter().any(|e| e == "methods"));
    let mut shown = resource.clone();
    if !embedded && let Some(methods) = shown.resource_methods.as_mut() {
        for method in methods.values_mut() {
            *method = Method::default();
        }
    }
    if shown.resource_methods.as_ref().is_some_and(|m| m.is_empty()) {
        shown.resource_methods = None;
    }
    shown
}

/// Whether `part` may go under `parent_id` (the checks AWS makes), apart
/// from resource `moving` (already there when a resource is renamed):
/// answers the parent's path.
fn check_place(
    record: &ApiRecord,
    parent_id: &str,
    part: &str,
    moving: Option<&str>,
) -> Result<String, AwsError> {
    let parent = record
        .resources
        .get(parent_id)
        .ok_or_else(errors::resource_missing)?;
    let parent_part = parent.path_part.clone().unwrap_or_default();
    if is_greedy(&parent_part) {
        return Err(errors::bad_request(format!(
            "Cannot create a child of a resource with a greedy path variable: {parent_part}"
        )));
    }
    for sibling in record.resources.values() {
        if sibling.parent_id.as_deref() != Some(parent_id) || sibling.id.as_deref() == moving {
            continue;
        }
        let sibling_part = sibling.path_part.as_deref().unwrap_or_default();
        if sibling_part == part {
            return Err(nimbus_apigateway_api::errors::conflict(format!(
                "Another resource with the same parent already has this name: {part}"
            )));
        }
        if is_variable(part) && is_variable(sibling_part) {
            return Err(errors::bad_request(format!(
                "A sibling ({sibling_part}) of this resource already has a variable path part -- only one is allowed"
            )));
        }
    }
    Ok(parent.path.clone().unwrap_or_default())
}

fn child_path(parent_path: &str, part: &str) -> String {
    match parent_path {
        "/" => format!("/{part}"),
        path => format!("{path}/{part}"),
    }
}

/// Adds a child under `parent_id`, answering it.
fn add_child(record: &mut ApiRecord, parent_id: &str, part: &str) -> Result<ResourceShape, AwsError> {
    let parent_path = check_place(record, parent_id, part, None)?;
    let id = records::new_id(6);
    let resource = ResourceShape {
        id: Some(id.clone()),
        parent_id: Some(parent_id.to_owned()),
        path_part: Some(part.to_owned()),
        path: Some(child_path(&parent_path, part)),
        resource_methods: None,
    };
    record.resources.insert(id, resource.clone());
    Ok(resource)
}

/// Puts resource `id` under `parent_id` as `part`, with the paths of
/// everything under it.
fn move_resource(record: &mut ApiRecord, id: &str, parent_id: &str, part: &str) -> Result<(), AwsError> {
    check_path_part(part)?;
    if subtree(record, id).iter().any(|under| under == parent_id) {
        return Err(errors::bad_request("Resources cannot be cyclical."));
    }
    let parent_path = check_place(record, parent_id, part, Some(id))?;
    if let Some(resource) = record.resources.get_mut(id) {
        resource.parent_id = Some(parent_id.to_owned());
        resource.path_part = Some(part.to_owned());
        resource.path = Some(child_path(&parent_path, part));
    }
    for under in subtree(record, id).into_iter().skip(1) {
        let parent_path = record
            .resources
            .get(&under)
            .and_then(|r| r.parent_id.as_deref())
            .and_then(|p| record.resources.get(p))
            .and_then(|p| p.path.clone())
            .unwrap_or_default();
        if let Some(resource) = record.resources.get_mut(&under) {
            let part = resource.path_part.clone().unwrap_or_default();
            resource.path = Some(child_path(&parent_path, &part));
        }
    }
    Ok(())
}

const RESOURCE: &[Rule] = &[replace("/parentId", Kind::Text), replace("/pathPart", Kind::Text)];

/// The ids of `id` and every resource under it.
fn subtree(record: &ApiRecord, id: &str) -> Vec<String> {
    let mut found = vec![id.to_owned()];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at].clone();
        found.extend(
            record
                .resources
                .values()
                .filter(|r| r.parent_id.as_deref() == Some(parent.as_str()))
                .filter_map(|r| r.id.clone()),
        );
        at += 1;
    }
    found
}

impl ApiGateway {
    pub(crate) async fn create_resource(
        &self,
        ctx: &RequestContext,
        input: CreateResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        check_path_part(&input.path_part)?;
        let (parent, part) = (input.parent_id, input.path_part);
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            add_child(record, &parent, &part)
        })
        .await
    }

    pub(crate) async fn get_resource(
        &self,
        ctx: &RequestContext,
        input: GetResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Resource).await?;
        let resource = record
            .resources
            .get(&input.resource_id)
            .ok_or_else(errors::resource_missing)?;
        Ok(shown(resource, &input.embed))
    }

    pub(crate) async fn get_resources(
        &self,
        ctx: &RequestContext,
        input: GetResourcesRequest,
    ) -> Result<Resources, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let all: Vec<ResourceShape> = record
            .resources
            .values()
            .map(|resource| shown(resource, &input.embed))
            .collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(Resources {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_resource(
        &self,
        ctx: &RequestContext,
        input: UpdateResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        let id = input.resource_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Resource), move |record| {
            let current = record.resources.get(&id).ok_or_else(errors::resource_missing)?;
            let patched = patch::apply(current, &ops, RESOURCE, Wording::Listed)?;
            if record.api.root_resource_id.as_deref() == Some(id.as_str()) {
                let what = match patched.parent_id != current.parent_id {
                    true => "parentId",
                    false => "pathPart",
                };
                return Err(errors::bad_request(format!(
                    "Root resource cannot update its {what}."
                )));
            }
            let parent = patched.parent_id.clone().unwrap_or_default();
            let part = patched.path_part.clone().unwrap_or_default();
            move_resource(record, &id, &parent, &part)?;
            let moved = record.resources.get(&id).ok_or_else(errors::resource_missing)?;
            Ok(shown(moved, &None))
        })
        .await
    }

    pub(crate) async fn delete_resource(
        &self,
        ctx: &RequestContext,
        input: DeleteResourceRequest,
    ) -> Result<(), AwsError> {
        let id = input.resource_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Resource), move |record| {
            if !record.resources.contains_key(&id) {
                return Err(errors::resource_missing());
            }
            if record.api.root_resource_id.as_deref() == Some(id.as_str()) {
                return Err(errors::bad_request("Cannot delete root resource"));
            }
            for gone in subtree(record, &id) {
                record.resources.shift_remove(&gone);
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts_are_names_variables_or_greedy_variables() {
        for good in ["pets", "v1.2", "a_b-c", "{id}", "{proxy+}", "x:y"] {
            assert!(check_path_part(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "{}", "{a", "a}", "pets?", "{a+b}"] {
            assert!(check_path_part(bad).is_err(), "{bad}");
        }
    }
}
