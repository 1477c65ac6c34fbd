//! The model every stage shares: what the catalogue's settings mean.

pub mod alerts;
