//! One queue's messages in memory: who is visible, who is in flight, who is
//! delayed, in an order that makes every receive cost independent of the
//! queue's depth.
//!
//! - Standard queues keep a deque of visible messages; a receive pops from
//!   its front.
//! - FIFO queues keep each message group's messages in send order and a
//!   deque of groups whose head is visible and that have nothing in flight.
//! - In-flight and delayed messages wait in one min-heap keyed by the instant
//!   they become visible; every read first moves the due ones back
//!   (`maintain`), so no background timer is needed.
//! - Retention: messages expire in send order, so a deque of sequence
//!   numbers in send order finds the expired ones from its front.
//!
//! Entries of the deques and the heap are not removed when a message is
//! deleted or changes state: they are skipped when met (a heap entry carries
//! the message's version at the time it was pushed).
//!
//! The engine is pure: times are epoch milliseconds passed in, and every
//! change returns the message states the caller must persist.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::records::{MessageRecord, StateRecord};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Visible,
    InFlight,
    Delayed,
}

/// A live message: its immutable content and its changing state.
#[derive(Debug, Clone)]
pub struct Live {
    pub record: Arc<MessageRecord>,
    pub state: StateRecord,
}

impl Live {
    fn phase(&self) -> Phase {
        if self.state.in_flight {
            Phase::InFlight
        } else if self.state.delayed {
            Phase::Delayed
        } else {
            Phase::Visible
        }
    }
}

/// Approximate counts as GetQueueAttributes reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

/// A FIFO message group: its live messages in send order.
#[derive(Debug, Default)]
struct Group {
    seqs: VecDeque<u64>,
    in_flight: usize,
}

/// What a receive hands out.
#[derive(Debug)]
pub struct Received {
    pub record: Arc<MessageRecord>,
    pub state: StateRecord,
}

/// Why a receipt handle did not act on a message.
#[derive(Debug, PartialEq, Eq)]
pub enum HandleError {
    /// The handle is from an earlier receive, or its visibility ran out (FIFO).
    Expired,
    /// The message is not in flight (ChangeMessageVisibility).
    NotInFlight,
}

/// Remembered deduplication ids of a FIFO queue (five minutes each).
#[derive(Debug, Default)]
struct Dedup {
    /// Scope key (`id` or `group\0id`) → (expiry, message id, sequence number).
    seen: HashMap<String, (u64, String, u64)>,
    /// Keys in expiry order (expiry is insertion time + constant window).
    order: VecDeque<(u64, String)>,
}

/// The deduplication interval of FIFO queues.
pub const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

#[derive(Debug)]
pub struct Engine {
    fifo: bool,
    /// The next sequence number to hand out.
    next_seq: u64,
    messages: HashMap<u64, Live>,
    /// Standard queues: visible messages, front first (may hold deleted ones).
    visible: VecDeque<u64>,
    /// FIFO queues: groups by id.
    groups: HashMap<String, Group>,
    /// FIFO queues: groups that may be able to hand out their head.
    ready_groups: VecDeque<String>,
    /// Groups currently in `ready_groups` (to queue each at most once).
    queued_groups: HashSet<String>,
    /// (visible at, seq, version) of in-flight and delayed messages.
    timers: BinaryHeap<Reverse<(u64, u64, u64)>>,
    /// Sequence numbers in send order, for retention.
    by_age: VecDeque<u64>,
    counts: Counts,
    dedup: Dedup,
}

impl Engine {
    pub fn new(fifo: bool) -> Self {
        Engine {
            fifo,
            next_seq: 1,
            messages: HashMap::new(),
            visible: VecDeque::new(),
            groups: HashMap::new(),
            ready_groups: VecDeque::new(),
            queued_groups: HashSet::new(),
            timers: BinaryHeap::new(),
            by_age: VecDeque::new(),
            counts: Counts::default(),
            dedup: Dedup::default(),
        }
    }

    /// Reserves the next sequence number.
    pub fn allocate_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Makes sure future sequence numbers come after `seq` (loading).
    pub fn observe_seq(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq + 1);
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The earliest instant an in-flight or delayed message becomes visible.
    pub fn next_wake(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// A deduplication hit within the window: (message id, sequence number).
    pub fn dedup_lookup(&self, key: &str, now: u64) -> Option<(String, u64)> {
        self.dedup
            .seen
            .get(key)
            .filter(|(expires, _, _)| *expires > now)
            .map(|(_, id, seq)| (id.clone(), *seq))
    }

    /// Remembers a deduplication id sent at `sent_ms`.
    pub fn dedup_remember(&mut self, key: String, sent_ms: u64, message_id: String, seq: u64) {
        let expires = sent_ms + DEDUP_WINDOW_MS;
        self.dedup.order.push_back((expires, key.clone()));
        self.dedup.seen.insert(key, (expires, message_id, seq));
    }

    /// Adds a message (just sent, or loaded from the store).
    pub fn insert(&mut self, record: Arc<MessageRecord>, state: StateRecord) {
        let seq = record.seq;
        self.observe_seq(seq);
        let live = Live { record, state };
        let phase = live.phase();
        let group = live.record.group_id.clone();
        let at = live.state.visible_at_ms;
        let version = live.state.version;
        self.messages.insert(seq, live);
        insert_sorted(&mut self.by_age, seq);
        match phase {
            Phase::Visible => self.counts.visible += 1,
            Phase::InFlight => self.counts.in_flight += 1,
            Phase::Delayed => self.counts.delayed += 1,
        }
        if phase != Phase::Visible {
            self.timers.push(Reverse((at, seq, version)));
        }
        if let (true, Some(group)) = (self.fifo, group) {
            let entry = self.groups.entry(group.clone()).or_default();
            insert_sorted(&mut entry.seqs, seq);
            if phase == Phase::InFlight {
                entry.in_flight += 1;
            }
            self.queue_group(&group);
        } else if phase == Phase::Visible {
            self.visible.push_back(seq);
        }
    }

    /// Brings the queue up to `now`: due timers make messages visible and
    /// messages older than the retention period are dropped. Returns the
    /// sequence numbers dropped, for the caller to delete from the store.
    pub fn maintain(&mut self, now: u64, retention_ms: u64) -> Vec<u64> {
        while let Some(Reverse((at, seq, version))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.make_visible(seq, version);
        }
        let mut expired = Vec::new();
        while let Some(&seq) = self.by_age.front() {
            match self.messages.get(&seq) {
                None => {
                    self.by_age.pop_front();
                }
                Some(live) if live.record.sent_ms + retention_ms <= now => {
                    self.by_age.pop_front();
                    self.remove(seq);
                    expired.push(seq);
                }
                Some(_) => break,
            }
        }
        while let Some((expires, _)) = self.dedup.order.front() {
            if *expires > now {
                break;
            }
            if let Some((_, key)) = self.dedup.order.pop_front()
                && self.dedup.seen.get(&key).is_some_and(|(e, _, _)| *e <= now)
            {
                self.dedup.seen.remove(&key);
            }
        }
        expired
    }

    /// The timer of `seq` (pushed at `version`) came due.
    fn make_visible(&mut self, seq: u64, version: u64) {
        let Some(live) = self.messages.get_mut(&seq) else {
            return;
        };
        if live.state.version != version {
            return;
        }
        let phase = live.phase();
        if phase == Phase::Visible {
            return;
        }
        live.state.in_flight = false;
        live.state.delayed = false;
        let group = live.record.group_id.clone();
        match phase {
            Phase::InFlight => self.counts.in_flight -= 1,
            Phase::Delayed => self.counts.delayed -= 1,
            Phase::Visible => {}
        }
        self.counts.visible += 1;
        self.enqueue_visible(seq, group, phase == Phase::InFlight);
    }

    fn enqueue_visible(&mut self, seq: u64, group: Option<String>, was_in_flight: bool) {
        match (self.fifo, group) {
            (true, Some(group)) => {
                if was_in_flight && let Some(g) = self.groups.get_mut(&group) {
                    g.in_flight = g.in_flight.saturating_sub(1);
                }
                self.queue_group(&group);
            }
            _ => self.visible.push_back(seq),
        }
    }

    fn queue_group(&mut self, group: &str) {
        if !self.queued_groups.contains(group) {
            self.queued_groups.insert(group.to_owned());
            self.ready_groups.push_back(group.to_owned());
        }
    }

    /// Removes a message wherever it stands (deleted, expired, moved).
    pub fn remove(&mut self, seq: u64) -> Option<Live> {
        let live = self.messages.remove(&seq)?;
        match live.phase() {
            Phase::Visible => self.counts.visible -= 1,
            Phase::InFlight => self.counts.in_flight -= 1,
            Phase::Delayed => self.counts.delayed -= 1,
        }
        if let (true, Some(group)) = (self.fifo, live.record.group_id.as_deref()) {
            let mut now_empty = false;
            if let Some(g) = self.groups.get_mut(group) {
                if let Some(pos) = g.seqs.iter().position(|s| *s == seq) {
                    g.seqs.remove(pos);
                }
                if live.phase() == Phase::InFlight {
                    g.in_flight = g.in_flight.saturating_sub(1);
                }
                now_empty = g.seqs.is_empty();
            }
            if now_empty {
                self.groups.remove(group);
            } else {
                self.queue_group(group);
            }
        }
        Some(live)
    }

    /// Hands out up to `max` visible messages, making them invisible until
    /// `now + visibility_ms`. Messages that already were received
    /// `max_receive_count` times are taken out instead and returned second,
    /// for the dead-letter queue.
    pub fn receive(
        &mut self,
        now: u64,
        max: usize,
        visibility_ms: u64,
        max_receive_count: Option<u32>,
    ) -> (Vec<Received>, Vec<Live>) {
        let mut received = Vec::new();
        let mut dead = Vec::new();
        let mut candidates = Vec::new();
        if self.fifo {
            self.fifo_candidates(max, &mut candidates);
        } else {
            while candidates.len() < max {
                let Some(seq) = self.visible.pop_front() else {
                    break;
                };
                if self
                    .messages
                    .get(&seq)
                    .is_some_and(|m| m.phase() == Phase::Visible)
                {
                    candidates.push(seq);
                }
            }
        }
        for seq in candidates {
            let exhausted = self
                .messages
                .get(&seq)
                .is_some_and(|m| max_receive_count.is_some_and(|max| m.state.receive_count >= max));
            if exhausted {
                if let Some(live) = self.remove(seq) {
                    dead.push(live);
                }
                continue;
            }
            let Some(live) = self.messages.get_mut(&seq) else {
                continue;
            };
            live.state.version += 1;
            live.state.receive_count += 1;
            if live.state.first_receive_ms == 0 {
                live.state.first_receive_ms = now;
            }
            live.state.in_flight = true;
            live.state.visible_at_ms = now + visibility_ms;
            live.state.receipt_nonce = rand::random::<u64>();
            self.counts.visible -= 1;
            self.counts.in_flight += 1;
            self.timers
                .push(Reverse((live.state.visible_at_ms, seq, live.state.version)));
            if let Some(group) = live.record.group_id.as_deref()
                && let Some(g) = self.groups.get_mut(group)
            {
                g.in_flight += 1;
            }
            received.push(Received {
                record: live.record.clone(),
                state: live.state.clone(),
            });
        }
        (received, dead)
    }

    /// FIFO: the visible heads of unblocked groups, as many of a group's
    /// consecutive visible messages as fit, group after group.
    /// A group left out here is queued again when its state changes (a
    /// delete, a visibility change, a timer).
    fn fifo_candidates(&mut self, max: usize, out: &mut Vec<u64>) {
        while out.len() < max {
            let Some(group) = self.ready_groups.pop_front() else {
                break;
            };
            self.queued_groups.remove(&group);
            let Some(g) = self.groups.get(&group) else {
                continue;
            };
            if g.in_flight > 0 {
                continue;
            }
            for seq in &g.seqs {
                if out.len() >= max {
                    break;
                }
                if self
                    .messages
                    .get(seq)
                    .is_some_and(|m| m.phase() == Phase::Visible)
                {
                    out.push(*seq);
                } else {
                    break;
                }
            }
        }
    }

    fn check_handle(&self, seq: u64, nonce: u64) -> Result<Option<&Live>, HandleError> {
        let Some(live) = self.messages.get(&seq) else {
            return Ok(None);
        };
        if live.state.receipt_nonce != nonce {
            return Err(HandleError::Expired);
        }
        Ok(Some(live))
    }

    /// Deletes the message a receipt handle names. `Ok(None)`: nothing to
    /// delete (already gone). A handle from an earlier receive deletes
    /// nothing (`Expired`); FIFO also refuses a handle whose visibility ran out.
    pub fn delete(&mut self, seq: u64, nonce: u64) -> Result<Option<Live>, HandleError> {
        let Some(live) = self.check_handle(seq, nonce)? else {
            return Ok(None);
        };
        if self.fifo && live.phase() != Phase::InFlight {
            return Err(HandleError::Expired);
        }
        Ok(self.remove(seq))
    }

    /// Changes the visibility of an in-flight message to end `timeout_ms`
    /// after `now`; zero makes it visible at once. Returns the new state.
    pub fn change_visibility(
        &mut self,
        seq: u64,
        nonce: u64,
        now: u64,
        timeout_ms: u64,
    ) -> Result<StateRecord, HandleError> {
        let live = match self.check_handle(seq, nonce) {
            Ok(Some(live)) => live,
            Ok(None) => return Err(HandleError::NotInFlight),
            Err(e) => return Err(e),
        };
        if live.phase() != Phase::InFlight {
            return Err(HandleError::NotInFlight);
        }
        let Some(live) = self.messages.get_mut(&seq) else {
            return Err(HandleError::NotInFlight);
        };
        live.state.version += 1;
        live.state.visible_at_ms = now + timeout_ms;
        let state = live.state.clone();
        let version = state.version;
        if timeout_ms == 0 {
            self.make_visible(seq, version);
        } else {
            self.timers.push(Reverse((now + timeout_ms, seq, version)));
        }
        Ok(self.messages.get(&seq).map_or(state, |l| l.state.clone()))
    }

    /// Forgets every message (PurgeQueue); returns how many there were.
    pub fn purge(&mut self) -> usize {
        let count = self.messages.len();
        let dedup = std::mem::take(&mut self.dedup);
        let next_seq = self.next_seq;
        *self = Engine::new(self.fifo);
        self.next_seq = next_seq;
        self.dedup = dedup;
        count
    }

    /// Takes out up to `max` visible messages, oldest first (message move tasks).
    pub fn take_visible_oldest(&mut self, max: usize) -> Vec<Live> {
        let seqs: Vec<u64> = self
            .by_age
            .iter()
            .filter(|seq| {
                self.messages
                    .get(seq)
                    .is_some_and(|m| m.phase() == Phase::Visible)
            })
            .take(max)
            .copied()
            .collect();
        seqs.into_iter().filter_map(|seq| self.remove(seq)).collect()
    }
}

/// Inserts into a deque kept in ascending order; appends in O(1) in the
/// usual case of an increasing sequence number.
fn insert_sorted(deque: &mut VecDeque<u64>, seq: u64) {
    if deque.back().is_none_or(|last| *last < seq) {
        deque.push_back(seq);
    } else {
        let pos = deque.partition_point(|s| *s < seq);
        deque.insert(pos, seq);
    }
}

#[cfg(test)]
mod tests;
