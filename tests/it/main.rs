//! The integration tests, as one test binary: each module is what was once
//! a binary of its own (`cargo nextest run --test it faults::` runs one),
//! and the helpers in `common` are compiled once. One binary links the
//! crate and the AWS SDK once instead of once per file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod alarms;
mod cli_conventions;
mod consume;
mod dashboard_moto;
mod dashboard_view;
mod decode;
mod delivery;
mod emulator_smoke;
mod engine_apply;
mod engine_verify_destroy;
mod export_bundle;
mod faults;
mod iam_eval;
mod ministack;
mod orphans;
mod profiles;
mod real_account;
mod snowflake;
mod terraform;
mod tui_moto;
mod tui_offline;
mod tui_tmux;
