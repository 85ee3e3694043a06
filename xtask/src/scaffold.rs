//! `cargo xtask service <model> [<RustName>]`: the two crates of a new
//! service, ready for its first operation.
//!
//! Writes `apis/<model>/` (the API crate: `operations.txt`, `Cargo.toml`,
//! `src/lib.rs`, and `src/generated.rs` from `cargo xtask api`) and
//! `services/<model>/` (the service crate: the service type implementing
//! the generated `<Name>Api` with no operation yet, and a test that fails
//! while a listed operation answers NotImplemented), and adds both to
//! `[workspace.dependencies]`. Registering the service in
//! `bin/src/services.rs` is left to the author (see docs/ARCHITECTURE.md).

use std::fs;
use std::path::Path;

use crate::api::{self, model_path};

/// Scaffolds the crates of the vendored model `model`.
pub fn run(model: &str, rust_name: Option<&str>) -> Result<(), String> {
    let root = api::workspace_root();
    if !model_path(model).exists() {
        return Err(format!(
            "no vendored model {model}: add it to crates/nimbus-protocol/models/SERVICES and run `cargo xtask models`"
        ));
    }
    let rust_name = rust_name.map_or_else(|| api::capitalized(model), str::to_owned);
    let api_dir = root.join("apis").join(model);
    let service_dir = root.join("services").join(model);
    for dir in [&api_dir, &service_dir] {
        if dir.exists() {
            return Err(format!("{} exists already", dir.display()));
        }
    }
    let title = service_title(model)?;
    write(
        &api_dir.join("operations.txt"),
        &operations_txt(model, &rust_name),
    )?;
    write(&api_dir.join("Cargo.toml"), &api_manifest(model, &title))?;
    write(&api_dir.join("src/lib.rs"), &api_lib(&title, &rust_name))?;
    write(&service_dir.join("Cargo.toml"), &service_manifest(model, &title))?;
    write(
        &service_dir.join("src/lib.rs"),
        &service_lib(model, &title, &rust_name),
    )?;
    write(
        &service_dir.join("src/tests.rs"),
        &service_tests(model, &rust_name),
    )?;
    add_workspace_dependencies(&root.join("Cargo.toml"), model)?;
    api::run(model)?;
    println!(
        "\nNext: list operations in apis/{model}/operations.txt, run `cargo xtask api {model}`,\n\
         implement them in services/{model}/src, and register the service in bin/src/services.rs\n\
         (docs/ARCHITECTURE.md, \"Adding a service\")."
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{}: written", path.display());
    Ok(())
}

/// The service's name as AWS writes it (`serviceId`, e.g. `KMS`).
fn service_title(model: &str) -> Result<String, String> {
    let text = fs::read_to_string(model_path(model)).map_err(|e| format!("model {model}: {e}"))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("model {model}: {e}"))?;
    Ok(json["metadata"]["serviceId"].as_str().unwrap_or(model).to_owned())
}

fn operations_txt(model: &str, rust_name: &str) -> String {
    format!(
        "# Operations nimbus serves for {model}; `cargo xtask api {model}` generates the API from them.\n\
         name {rust_name}\n"
    )
}

fn api_manifest(model: &str, title: &str) -> String {
    format!(
        r#"[package]
name = "nimbus-{model}-api"
description = "The {title} API as nimbus serves it: typed shapes, the service trait, server and client, generated from the model."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
nimbus-core.workspace = true
nimbus-protocol.workspace = true
serde.workspace = true

[lints]
workspace = true
"#
    )
}

fn api_lib(title: &str, rust_name: &str) -> String {
    format!(
        r#"//! The {title} API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`{rust_name}Api`] trait the service implements, the [`{rust_name}Server`] that
//! serves it, and the [`{rust_name}Client`] other services call it with.

mod generated;

pub use generated::*;
"#
    )
}

fn service_manifest(model: &str, title: &str) -> String {
    format!(
        r#"[package]
name = "nimbus-{model}"
description = "{title} over the nimbus store."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
nimbus-core.workspace = true
nimbus-{model}-api.workspace = true
nimbus-runtime.workspace = true
nimbus-store.workspace = true

[dev-dependencies]
tokio.workspace = true

[lints]
workspace = true
"#
    )
}

fn service_lib(model: &str, title: &str, rust_name: &str) -> String {
    let api = model.replace('-', "_");
    format!(
        r#"//! {title}, over the nimbus store.
//!
//! The service implements the generated [`{rust_name}Api`]: one method per
//! operation listed in apis/{model}/operations.txt, each handled by a module
//! of its concern.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::sync::Arc;

use nimbus_{api}_api::*;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The {title} service. State lives in the store.
pub struct {rust_name} {{
    #[expect(dead_code, reason = "the handlers to come read it")]
    store: Arc<Store>,
    #[expect(dead_code, reason = "the handlers to come read it")]
    clock: Clock,
}}

impl {rust_name} {{
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {{
        {rust_name} {{ store, clock }}
    }}
}}

/// The operations, served by the handlers of the modules.
impl {rust_name}Api for {rust_name} {{}}

#[cfg(test)]
mod tests;
"#
    )
}

fn service_tests(model: &str, rust_name: &str) -> String {
    let api = model.replace('-', "_");
    format!(
        r#"//! Service-level tests over an ephemeral store and a test clock.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::{rust_name};

fn service() -> {rust_name} {{
    {rust_name}::new(Arc::new(Store::ephemeral().unwrap()), TestClock::new().clock())
}}

#[tokio::test]
async fn every_listed_operation_is_implemented() {{
    let ctx = RequestContext::for_tests("{model}", "test");
    let missing = nimbus_{api}_api::unimplemented_operations(&service(), &ctx).await;
    assert!(missing.is_empty(), "answering NotImplemented: {{missing:?}}");
}}
"#
    )
}

/// Adds the two crates to `[workspace.dependencies]`, after the last nimbus one.
fn add_workspace_dependencies(manifest: &Path, model: &str) -> Result<(), String> {
    let text = fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let lines = [
        format!("nimbus-{model}-api = {{ path = \"apis/{model}\" }}"),
        format!("nimbus-{model} = {{ path = \"services/{model}\" }}"),
    ];
    let mut out: Vec<String> = text.lines().map(str::to_owned).collect();
    let last = out
        .iter()
        .rposition(|line| line.starts_with("nimbus-"))
        .ok_or_else(|| "no nimbus crates in [workspace.dependencies]".to_owned())?;
    for (offset, line) in lines.into_iter().enumerate() {
        out.insert(last + 1 + offset, line);
    }
    fs::write(manifest, out.join("\n") + "\n").map_err(|e| format!("{}: {e}", manifest.display()))?;
    println!(
        "{}: nimbus-{model}-api and nimbus-{model} added",
        manifest.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_join_the_workspace_dependencies_after_the_last_nimbus_one() {
        let dir = std::env::temp_dir().join(format!("xtask-scaffold-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let manifest = dir.join("Cargo.toml");
        let before = "[workspace.dependencies]\nnimbus-core = { path = \"crates/nimbus-core\" }\nnimbus-sqs-api = { path = \"apis/sqs\" }\nserde = \"1\"\n";
        fs::write(&manifest, before).expect("manifest");
        add_workspace_dependencies(&manifest, "kms").expect("added");
        let after = fs::read_to_string(&manifest).expect("manifest");
        assert_eq!(
            after,
            "[workspace.dependencies]\nnimbus-core = { path = \"crates/nimbus-core\" }\nnimbus-sqs-api = { path = \"apis/sqs\" }\nnimbus-kms-api = { path = \"apis/kms\" }\nnimbus-kms = { path = \"services/kms\" }\nserde = \"1\"\n"
        );
        fs::remove_dir_all(&dir).expect("cleaned");
    }

    #[test]
    fn the_service_implements_its_api_and_tests_it() {
        let lib = service_lib("kms", "KMS", "Kms");
        assert!(lib.contains("use nimbus_kms_api::*;"), "{lib}");
        assert!(lib.contains("impl KmsApi for Kms {}"), "{lib}");
        let tests = service_tests("kms", "Kms");
        assert!(
            tests.contains("nimbus_kms_api::unimplemented_operations(&service(), &ctx)"),
            "{tests}"
        );
        assert!(operations_txt("kms", "Kms").ends_with("name Kms\n"));
    }
}
