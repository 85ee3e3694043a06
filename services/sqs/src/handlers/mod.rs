//! The operations, one module per resource.

mod dead_letters;
mod messages;
mod queues;
mod receive;
