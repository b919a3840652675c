//! Everything that talks to AWS (and the plans it makes). No UI code here.

pub mod plan;

pub use plan::{Action, Plan, PlanItem};
