//! The screens: each holds its own state, what its keys do to it, and how
//! it is drawn. They share the [`crate::tui::model::Model`]; none of them
//! knows the others but through the state it is given.

pub mod apply;
pub mod data;
pub mod done;
pub mod form;
pub mod review;
pub mod run;
pub mod verify;
pub mod welcome;
