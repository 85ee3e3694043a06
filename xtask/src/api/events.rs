//! Event-stream outputs: a payload member whose target the model marks
//! `eventstream` is an `EventStream` of the union's values, which the codec
//! frames one by one (`nimbus_protocol::codec::eventstream`). What each
//! union member becomes on the wire is rendered here, from the model: its
//! `eventpayload` member alone (a blob raw, anything else as JSON), or the
//! whole event as JSON. Event headers (`eventheader`) are not written yet.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use serde_json::Value;

use super::names::{snake_case, type_name, unique_field_name};
use super::service::Op;
use super::shapes::{Shapes, shape_type};

/// The name of the function framing `union`'s events.
pub fn frame_fn(union: &str) -> String {
    format!("frame_{}", snake_case(union))
}

/// A framing function for every union the outputs of `ops` stream.
pub fn render_frames(out: &mut String, ops: &[Op], shapes: &Shapes<'_>) -> Result<(), String> {
    let unions: BTreeSet<String> = ops
        .iter()
        .filter_map(|op| op.output.as_deref())
        .filter_map(|output| shapes.event_stream_field(output))
        .map(|(_, union)| union)
        .collect();
    for union in unions {
        render_frame(out, shapes, &union)?;
    }
    Ok(())
}

fn render_frame(out: &mut String, shapes: &Shapes<'_>, union: &str) -> Result<(), String> {
    let members = shapes
        .shape(union)?
        .get("members")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("event stream {union} has no members"))?;
    let _ = writeln!(
        out,
        "\n/// What each event of `{union}` becomes on the wire.\nfn {}(event: &{}) -> eventstream::Frame {{",
        frame_fn(union),
        type_name(union)
    );
    let mut taken = HashSet::new();
    for (name, member) in members {
        let field = unique_field_name(&mut taken, name);
        let target = member
            .get("shape")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{union}.{name} has no shape"))?;
        let frame = frame_of(shapes, name, target)?;
        let _ = writeln!(
            out,
            "    if let Some(event) = &event.{field} {{\n        return {frame};\n    }}"
        );
    }
    out.push_str("    eventstream::Frame::json(\"\", event)\n}\n");
    Ok(())
}

/// The expression framing `event`, a value of the event shape `target`.
fn frame_of(shapes: &Shapes<'_>, name: &str, target: &str) -> Result<String, String> {
    let shape = shapes.shape(target)?;
    let members = shape.get("members").and_then(Value::as_object);
    let mut taken = HashSet::new();
    for (member_name, member) in members.into_iter().flatten() {
        let field = unique_field_name(&mut taken, member_name);
        if !member
            .get("eventpayload")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            continue;
        }
        let payload = member.get("shape").and_then(Value::as_str).unwrap_or_default();
        return Ok(match shape_type(shapes.shape(payload)?) {
            "blob" => {
                format!("eventstream::Frame::raw(\"{name}\", event.{field}.clone().unwrap_or_default())")
            }
            _ => format!("eventstream::Frame::json(\"{name}\", &event.{field})"),
        });
    }
    Ok(format!("eventstream::Frame::json(\"{name}\", event)"))
}
