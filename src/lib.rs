//! sluice: set up, verify and consume event-driven S3 → SQS ingestion.
//!
//! Dependencies run one way: `spec` (the model, profiles, validation) and
//! `docs` (pure generators of every document) at the bottom; `aws` (the
//! engine), `export` and `consume` over them; `cli` and `tui` (the wizard
//! and the dashboard, the only code that draws) as front ends on top. The
//! engine knows nothing of the terminal.

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
