//! Cache: answers remembered per engine (`cache`, `cacheTtlSeconds`,
//! `cacheMaxEntries`) in memory, and across processes in a redb file under
//! `cacheDir`. A hit sends no request.

pub mod disk_cache;
pub mod response_cache;

#[cfg(test)]
mod cache_tests;
