//! The engine by resource: each folder holds one resource's code for every
//! verb, so a resource is read, planned, applied, verified and destroyed from
//! one place.
//!
//! - `iam`: the permissions policy, the role (with its trust policy and
//!   external ID) and the user (with its access key);
//! - `bucket`: the S3 bucket, its settings and its policy;
//! - `queue`: the SQS queue and its dead-letter queue, their attributes and
//!   access policy;
//! - `route`: how an object's event reaches the queue — the bucket's
//!   notification entry, the SNS topic's subscription, or the EventBridge
//!   rule and target;
//! - `alarms`: the CloudWatch alarms and the SNS topic they notify.
//!
//! What a spec has, and in which order, is one registry:
//! [`ResourceKind::ALL`](crate::docs::ResourceKind::ALL) (apply's order) and
//! [`ResourceKind::DESTROY_ORDER`](crate::docs::ResourceKind::DESTROY_ORDER).
//! The verbs (`observe`, `plan`, `apply`, `verify`, `destroy`, `restore`)
//! walk it with one exhaustive `match` each and call in here; what a verb does
//! for every resource alike (the backup, the journal, progress, tags, the
//! order) stays with the verb. Adding a kind: a variant in `ResourceKind`, a
//! folder here, and the arms the compiler then asks for.

pub mod alarms;
pub mod bucket;
pub mod iam;
pub mod queue;
pub mod route;
