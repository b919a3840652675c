//! The consumer: a streaming, at-least-once S3-event consumer. No UI code:
//! the headless CLI and the dashboard both run [`runner::run`] and read
//! [`metrics::Snapshot`]; [`prepare`] builds a run from a spec for both,
//! and [`report`] writes the JSON metrics lines.

pub mod backfill;
pub mod bench;
pub mod decode;
pub mod event;
pub mod inspect;
mod leases;
pub mod metrics;
pub mod monitor;
pub mod prepare;
pub mod preview;
pub mod report;
pub mod runner;
pub mod sink;
