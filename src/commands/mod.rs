pub mod check;
pub mod db;
pub mod explain;
pub mod lint;
mod report;
pub mod sbom;
pub mod sbom_diff;
pub mod scan;
