//! botocore's protocol test cases (`../shared/aws-protocol-tests/`): finding
//! them, reading them, and the one-operation model each case describes.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json, json};

/// Which side of the wire a case file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `input/`: parameters and the request a client serializes from them.
    Input,
    /// `output/`: a response and the parameters a client parses from it.
    Output,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// One test case with everything needed to run it on its own.
#[derive(Debug, Clone)]
pub struct Case {
    pub direction: Direction,
    /// The case file without `.json`, with `legacy/` in front for the older
    /// files: `rest-xml`, `json_1_0-query-compatible`, `legacy/query`.
    pub file: String,
    /// The case's `id`, or `<suite index>:<case index>` for legacy cases
    /// (which have none), as botocore's own runner numbers them.
    pub id: String,
    /// The suite's `description` (botocore's ignore list names suites by it).
    pub suite: String,
    /// The model's `metadata.protocol`: `query`, `ec2`, `json`, `rest-json`,
    /// `rest-xml` or `smithy-rpc-v2-cbor`.
    pub protocol: String,
    /// `{metadata, shapes, operations: {<name>: given}}`, ready for
    /// `ServiceModel::from_json`.
    pub model: Json,
    /// The operation's name (the only operation of `model`).
    pub operation: String,
    /// The case object itself (`params`/`serialized` or `result`/`response`).
    pub body: Json,
}

impl Case {
    /// `<file>/<id>`, how reports name a case.
    pub fn name(&self) -> String {
        format!("{}/{}", self.file, self.id)
    }

    /// The file name without the `legacy/` prefix (botocore's ignore list and
    /// the protocol filter use it).
    pub fn file_stem(&self) -> &str {
        self.file.strip_prefix("legacy/").unwrap_or(&self.file)
    }
}

/// Where the vectors live: `$NIMBUS_PROTOCOL_TESTS`, else
/// `<repo>/../shared/aws-protocol-tests`.
pub fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NIMBUS_PROTOCOL_TESTS") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/aws-protocol-tests");
    dir.canonicalize().unwrap_or(dir)
}

/// Every case of one direction, modern files first, then the legacy ones,
/// each set in file-name order.
pub fn load_cases(dir: &Path, direction: Direction) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (subdir, prefix) in [
        (direction.name().to_owned(), ""),
        (format!("legacy/{}", direction.name()), "legacy/"),
    ] {
        let folder = dir.join(&subdir);
        if !folder.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for path in files {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let label = format!("{prefix}{stem}");
            cases.extend(load_file(&path, &label, direction)?);
        }
    }
    Ok(cases)
}

fn load_file(path: &Path, label: &str, direction: Direction) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let suites: Vec<Json> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cases = Vec::new();
    for (suite_index, suite) in suites.iter().enumerate() {
        let metadata = suite.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let shapes = suite.get("shapes").cloned().unwrap_or_else(|| json!({}));
        let protocol = metadata["protocol"].as_str().unwrap_or_default().to_owned();
        let description = suite["description"].as_str().unwrap_or_default().to_owned();
        let Some(suite_cases) = suite["cases"].as_array() else {
            continue;
        };
        for (case_index, case) in suite_cases.iter().enumerate() {
            let id = case["id"]
                .as_str()
                .map_or_else(|| format!("{suite_index}:{case_index}"), str::to_owned);
            let given = given_operation(case);
            let operation = given["name"].as_str().unwrap_or("OperationName").to_owned();
            let mut operations = Map::new();
            operations.insert(operation.clone(), given);
            let mut model = json!({"metadata": metadata, "shapes": shapes, "operations": operations});
            normalize_legacy_model(&mut model);
            cases.push(Case {
                direction,
                file: label.to_owned(),
                id,
                suite: description.clone(),
                protocol: protocol.clone(),
                model,
                operation,
                body: case.clone(),
            });
        }
    }
    Ok(cases)
}

/// The case's `given` operation, completed where legacy cases leave out
/// what botocore defaults (`http`: POST to `/`; the name).
fn given_operation(case: &Json) -> Json {
    let mut given = case["given"].clone();
    if let Some(object) = given.as_object_mut() {
        object
            .entry("name")
            .or_insert_with(|| Json::String("OperationName".to_owned()));
        object
            .entry("http")
            .or_insert_with(|| json!({"method": "POST", "requestUri": "/"}));
    }
    given
}

/// Rewrites the legacy spellings that botocore accepts but nimbus's model
/// types (made for real service models) do not read: traits on a shape
/// reference apply to the shape it names; a `location`/`locationName` written
/// on a target shape applies to the members that use it (real models put
/// both on the member); the old `character` type is a string.
pub fn normalize_legacy_model(model: &mut Json) {
    if let Some(shapes) = model["shapes"].as_object_mut() {
        for shape in shapes.values_mut() {
            if shape["type"] == "character" {
                shape["type"] = Json::String("string".to_owned());
            }
        }
    }
    let Some(operations) = model["operations"].as_object().cloned() else {
        return;
    };
    for operation in operations.values() {
        for direction in ["input", "output"] {
            let reference = &operation[direction];
            let (Some(shape_name), Some(payload)) = (reference["shape"].as_str(), reference.get("payload"))
            else {
                continue;
            };
            if let Some(shape) = model["shapes"][shape_name].as_object_mut() {
                shape.entry("payload").or_insert_with(|| payload.clone());
            }
        }
    }
    let Some(shapes) = model["shapes"].as_object() else {
        return;
    };
    let located: Map<String, Json> = shapes
        .iter()
        .filter(|(_, shape)| shape.get("location").is_some())
        .map(|(name, shape)| (name.clone(), shape.clone()))
        .collect();
    if located.is_empty() {
        return;
    }
    let Some(shapes) = model["shapes"].as_object_mut() else {
        return;
    };
    for shape in shapes.values_mut() {
        let Some(members) = shape.get_mut("members").and_then(Json::as_object_mut) else {
            continue;
        };
        for member in members.values_mut() {
            let Some(target) = member["shape"].as_str().and_then(|name| located.get(name)) else {
                continue;
            };
            if member.get("location").is_some() {
                continue;
            }
            let target = target.clone();
            if let Some(member) = member.as_object_mut() {
                for trait_name in ["location", "locationName"] {
                    if let Some(value) = target.get(trait_name) {
                        member.entry(trait_name).or_insert_with(|| value.clone());
                    }
                }
            }
        }
    }
}

/// botocore's `protocol-tests-ignore-list.json`: suites and cases botocore
/// itself does not run, per direction, in general and per protocol file.
#[derive(Debug, Default)]
pub struct BotocoreIgnoreList(Json);

impl BotocoreIgnoreList {
    pub fn load(dir: &Path) -> Self {
        let path = dir.join("protocol-tests-ignore-list.json");
        let json = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Json::Null);
        BotocoreIgnoreList(json)
    }

    /// Whether botocore skips this case (by suite description or case id).
    pub fn ignores(&self, case: &Case) -> bool {
        let direction = case.direction.name();
        let lists = [
            &self.0["general"][direction],
            &self.0["protocols"][case.file_stem()][direction],
        ];
        lists.iter().any(|list| {
            let names = |key: &str| {
                list[key]
                    .as_array()
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(Json::as_str)
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            };
            names("suites").contains(&case.suite) || names("cases").contains(&case.id)
        })
    }
}
