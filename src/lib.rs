//! sluice: set up, verify and consume event-driven S3 → SQS ingestion.
//!
//! The engine modules (`spec`, `docs`, `export`, `aws`) know nothing of the
//! terminal; the CLI (and, later, the wizard) are front ends over them.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod aws;
pub mod cli;
pub mod consume;
pub mod docs;
pub mod export;
pub mod fsutil;
pub mod signals;
pub mod spec;
pub mod tui;
pub mod words;
