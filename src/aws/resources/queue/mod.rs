//! The SQS queue and its dead-letter queue through every verb: reading
//! their attributes, policy, tags and depth (`observe`), planning the
//! attributes and our access-policy statements (`plan`), creating or
//! converging them (`apply`), finding the queue and keeping verify off
//! others' messages (`verify`), and destroying them — a queue holding
//! messages only with `force`, its messages backed up first; an adopted
//! queue loses only our statements (`destroy`).

pub(in crate::aws) mod apply;
pub(in crate::aws) mod destroy;
pub(in crate::aws) mod observe;
pub(in crate::aws) mod plan;
pub(in crate::aws) mod verify;
