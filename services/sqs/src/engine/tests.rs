//! The engine against explicit times (what the service reads from its Clock).

use std::sync::Arc;

use super::*;
use crate::records::{MessageRecord, StateRecord};

fn message(seq: u64, sent_ms: u64, group: Option<&str>) -> Arc<MessageRecord> {
    Arc::new(MessageRecord {
        seq,
        id: format!("m{seq}"),
        body: format!("body{seq}"),
        md5_of_body: String::new(),
        attributes: Default::default(),
        trace_header: None,
        sent_ms,
        sender_id: "test".into(),
        group_id: group.map(str::to_owned),
        dedup_id: None,
        dead_letter_source_arn: None,
    })
}

fn fresh(delay_until: Option<u64>) -> StateRecord {
    StateRecord {
        version: 1,
        delayed: delay_until.is_some(),
        visible_at_ms: delay_until.unwrap_or(0),
        ..StateRecord::default()
    }
}

const DAY: u64 = 86_400_000;

#[test]
fn visibility_timeout_redelivers_with_a_higher_count() {
    let mut engine = Engine::new(false);
    engine.insert(message(1, 0, None), fresh(None));
    let (got, _) = engine.receive(0, 10, 30_000, None);
    assert_eq!(got.len(), 1);
    assert_eq!(
        engine.counts(),
        Counts {
            visible: 0,
            in_flight: 1,
            delayed: 0
        }
    );
    engine.maintain(29_999, DAY);
    assert!(engine.receive(29_999, 10, 30_000, None).0.is_empty());
    engine.maintain(30_000, DAY);
    let (again, _) = engine.receive(30_000, 10, 30_000, None);
    assert_eq!(again[0].state.receive_count, 2);
    assert_ne!(again[0].state.receipt_nonce, got[0].state.receipt_nonce);
    // The first handle is stale now: nothing is deleted.
    assert!(matches!(
        engine.delete(1, got[0].state.receipt_nonce),
        Err(HandleError::Expired)
    ));
    assert!(engine.delete(1, again[0].state.receipt_nonce).unwrap().is_some());
    assert_eq!(engine.counts(), Counts::default());
}

#[test]
fn delayed_messages_appear_when_due() {
    let mut engine = Engine::new(false);
    engine.insert(message(1, 0, None), fresh(Some(5_000)));
    assert_eq!(engine.counts().delayed, 1);
    assert_eq!(engine.next_wake(), Some(5_000));
    engine.maintain(4_999, DAY);
    assert!(engine.receive(4_999, 1, 1_000, None).0.is_empty());
    engine.maintain(5_000, DAY);
    assert_eq!(engine.counts().visible, 1);
    assert_eq!(engine.receive(5_000, 1, 1_000, None).0.len(), 1);
}

#[test]
fn retention_drops_old_messages_in_send_order() {
    let mut engine = Engine::new(false);
    engine.insert(message(1, 0, None), fresh(None));
    engine.insert(message(2, 10_000, None), fresh(None));
    assert_eq!(engine.maintain(60_000, 60_000), vec![1]);
    assert_eq!(engine.counts().visible, 1);
    assert_eq!(engine.receive(60_000, 10, 1_000, None).0[0].record.seq, 2);
}

#[test]
fn fifo_group_blocks_while_in_flight() {
    let mut engine = Engine::new(true);
    engine.insert(message(1, 0, Some("a")), fresh(None));
    engine.insert(message(2, 0, Some("a")), fresh(None));
    engine.insert(message(3, 0, Some("b")), fresh(None));
    let (first, _) = engine.receive(0, 1, 30_000, None);
    assert_eq!(first[0].record.seq, 1);
    let (second, _) = engine.receive(0, 10, 30_000, None);
    assert_eq!(second.iter().map(|r| r.record.seq).collect::<Vec<_>>(), vec![3]);
    assert!(engine.receive(0, 10, 30_000, None).0.is_empty());
    engine.delete(1, first[0].state.receipt_nonce).unwrap();
    assert_eq!(engine.receive(0, 10, 30_000, None).0[0].record.seq, 2);
}

#[test]
fn dedup_window_is_five_minutes() {
    let mut engine = Engine::new(true);
    engine.dedup_remember("id".into(), 0, "m1".into(), 1);
    assert_eq!(
        engine.dedup_lookup("id", DEDUP_WINDOW_MS - 1),
        Some(("m1".into(), 1))
    );
    engine.maintain(DEDUP_WINDOW_MS, DAY);
    assert_eq!(engine.dedup_lookup("id", DEDUP_WINDOW_MS), None);
}

#[test]
fn max_receive_count_hands_messages_to_the_dead_letter_queue() {
    let mut engine = Engine::new(false);
    engine.insert(message(1, 0, None), fresh(None));
    for _ in 0..2 {
        assert_eq!(engine.receive(0, 1, 0, Some(2)).0.len(), 1);
        engine.maintain(0, DAY);
    }
    let (got, dead) = engine.receive(0, 1, 0, Some(2));
    assert!(got.is_empty());
    assert_eq!(dead.len(), 1);
    assert_eq!(engine.counts(), Counts::default());
}
