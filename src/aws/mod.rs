//! Everything that talks to AWS (and the plans it makes). No UI code here.
//!
//! By resource, `resources` holds each resource's code for every verb
//! (`iam`, `bucket`, `queue`, `route`, `alarms`). By verb: `observe` reads
//! what exists, `plan` compares it with the spec, `apply`, `verify`,
//! `destroy` and `restore` act; each walks the registry of kinds and keeps
//! what it does for every resource alike. Around them: `client` (the SDK
//! clients), `error` (AWS's errors in its own terms), `ownership` and
//! `orphans` (what is the stack's), `backup` and `journal` (what was there,
//! what is being made), `propagation` (waiting for AWS to catch up).

pub mod account;
pub mod apply;
pub mod backup;
pub mod client;
pub mod connect;
pub mod credentials;
pub mod destroy;
pub mod emulator;
pub mod error;
pub mod health;
pub mod journal;
pub mod mfa;
pub mod observe;
pub mod orphans;
pub mod ownership;
pub mod plan;
pub mod progress;
pub mod propagation;
pub mod recent;
pub mod resources;
pub mod restore;
pub mod verify;

pub use client::{AwsOptions, Clients, Identity};
pub use connect::{ConnectError, Connected, ResolvedKey, connect};
pub use error::{AwsError, ErrorKind};
pub use plan::{Plan, PlanAction, PlanItem};
pub use progress::{Event, Reporter, Secret};
