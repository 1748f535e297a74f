//! Data sources, one file each.

pub mod repositories;
pub mod template;
