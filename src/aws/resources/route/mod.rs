//! How an object's event reaches the queue, through every verb: the bucket's
//! notification configuration read and written whole (`notification`), the
//! SNS subscription and EventBridge rule read (`observe`), planned as a
//! merge that keeps every foreign entry (`plan`), written (`apply`), waited
//! for and explained when an event does not come (`verify`), and taken out
//! again — only our entry, subscription or rule, the bucket's EventBridge
//! setting only when no other rule may use it (`destroy`).

pub(in crate::aws) mod apply;
pub(in crate::aws) mod destroy;
pub(in crate::aws) mod notification;
pub(in crate::aws) mod observe;
pub(in crate::aws) mod plan;
pub(in crate::aws) mod verify;
