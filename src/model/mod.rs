//! The model every stage shares: the [`plan::Plan`] of what each
//! environment runs, the alert settings it carries, and the problems found
//! in its sources.

pub mod alerts;
pub mod diagnostic;
pub mod plan;
pub mod search;
