//! The permissions policy, the role and the user through every verb:
//! reading them with their documents, attachments and tags (`observe`),
//! planning the documents and attachments (`plan`), creating or converging
//! them, with the user's access key (`apply`), assuming the role and trying
//! the user's key (`verify`), and destroying what carries the stack's tag,
//! detached from every holder first (`destroy`).

pub(in crate::aws) mod apply;
pub(in crate::aws) mod destroy;
pub(in crate::aws) mod observe;
pub(in crate::aws) mod plan;
pub(in crate::aws) mod verify;
