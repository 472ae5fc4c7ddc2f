//! Source: the `rest` data source's reads without input rows. Batch reads
//! walk an API's pages (page numbers, offsets, cursors, next URLs), and the
//! driver's first page goes to the partition that starts there; streaming
//! reads poll a feed from an offset and plan micro-batches from a record
//! log. Requests go through the same `send` stage as enrichment.

pub mod first_page;
pub mod link_header;
pub mod offsets;
pub mod page_ranges;
pub mod pagination;
pub mod reader;
pub mod source_options;
pub mod stream_offset;
pub mod stream_poll;

#[cfg(test)]
mod source_tests;
