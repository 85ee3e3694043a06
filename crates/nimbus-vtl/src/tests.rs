use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use crate::{Host, Template, Value, render};

struct Input;

impl Host for Input {
    fn property(&self, name: &str) -> Option<Value> {
        (name == "body").then(|| Value::String("{\"a\":1}".into()))
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        match (name, args) {
            ("json", [path]) => Some(Value::String(format!("json({})", path.render()))),
            ("params", [name]) => Some(Value::String(format!("param {}", name.render()))),
            _ => None,
        }
    }
}

fn rendered(template: &str, variables: &[(&str, Value)]) -> String {
    let parsed = Template::parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
    let variables: HashMap<String, Value> = variables
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    render(&parsed, variables)
}

#[test]
fn references_render_their_values_or_themselves_when_undefined() {
    let user = Value::from_json(&json!({"name": "ann", "tags": ["a", "b"]}));
    assert_eq!(
        rendered("hi $user.name, ${user.name}!", &[("user", user.clone())]),
        "hi ann, ann!"
    );
    assert_eq!(
        rendered("$user.tags[1] $user.tags.size()", &[("user", user)]),
        "b 2"
    );
    assert_eq!(
        rendered("[$missing] [$!missing] [$missing.x]", &[]),
        "[$missing] [] [$missing.x]"
    );
    assert_eq!(rendered("cost: $5 and #hash", &[]), "cost: $5 and #hash");
}

#[test]
fn host_objects_answer_properties_and_methods() {
    let input = Value::Host(Arc::new(Input));
    assert_eq!(
        rendered(
            "$input.body|$input.json('$.a')|$input.params(\"id\")",
            &[("input", input)]
        ),
        "{\"a\":1}|json($.a)|param id"
    );
}

#[test]
fn set_if_and_foreach_as_mapping_templates_use_them() {
    let template = "#set($items = [\"a\", \"b\", \"c\"])\n\
        [#foreach($item in $items)\"$item\"#if($foreach.hasNext),#end#end]\n\
        #if($items.size() > 2)many#elseif($items.size() == 2)two#else few#end";
    assert_eq!(rendered(template, &[]), "[\"a\",\"b\",\"c\"]\nmany");
    assert_eq!(
        rendered("#set($m = {})#set($ok = $m.put('k', 'v'))$m.k", &[]),
        "v"
    );
    assert_eq!(rendered("#foreach($i in [1..3])$i#end", &[]), "123");
    assert_eq!(
        rendered("#foreach($i in [1..9])#if($i > 2)#break#end$i#end", &[]),
        "12"
    );
    assert_eq!(rendered("## a comment\nx#* block *#y", &[]), "\nxy");
}

#[test]
fn expressions_compare_compute_and_join() {
    assert_eq!(rendered("#set($n = 2 + 3 * 4)$n", &[]), "14");
    assert_eq!(rendered("#if(\"a\" == 'a' && !false)yes#end", &[]), "yes");
    assert_eq!(
        rendered("#set($s = \"n=${n}!\")$s", &[("n", Value::Int(7))]),
        "n=7!"
    );
    assert_eq!(
        rendered(
            "$s.substring(1, 3)$s.toUpperCase()",
            &[("s", Value::String("abcd".into()))]
        ),
        "bcABCD"
    );
    assert!(Template::parse("#if($a)unclosed").is_err());
}
