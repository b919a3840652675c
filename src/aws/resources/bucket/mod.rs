//! The S3 bucket through every verb: reading it with its settings, policy
//! and tags (`observe`), planning the settings and our policy statement
//! (`plan`), creating it or bringing its settings and policy to the spec's
//! (`apply`), and destroying it — only when it is the stack's, holds no
//! object without the flag that names them, and nothing else depends on it
//! (`destroy`). Its notification configuration is the route's (`route`).

pub(in crate::aws) mod apply;
pub(in crate::aws) mod destroy;
pub(in crate::aws) mod observe;
pub(in crate::aws) mod plan;
