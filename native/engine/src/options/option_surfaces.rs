//! Where each option has an effect (SPEC.md section 4): an option given on a
//! surface where it does nothing fails at analysis time, saying where it
//! applies. Options not listed here apply everywhere, so options added
//! elsewhere need no entry to work.

use std::collections::BTreeMap;

use serde::Serialize;

/// The four ways spark-rest is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// `restApiCall`, `rest_api_call`, the SQL table function.
    Enrichment,
    /// `spark.read.format("rest")` with `input` or `inputData`.
    Input,
    /// `spark.read.format("rest")` without input: the API's pages.
    Paginated,
    /// `spark.readStream.format("rest")`.
    Stream,
}

use Surface::*;

impl Surface {
    pub const ALL: [Surface; 4] = [Enrichment, Input, Paginated, Stream];

    pub fn key(self) -> &'static str {
        match self {
            Enrichment => "enrichment",
            Input => "input",
            Paginated => "paginated",
            Stream => "stream",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Enrichment => "an enrichment (restApiCall, rest_api_call, the SQL table function)",
            Input => "a read with input (format(\"rest\") with input or inputData)",
            Paginated => "a read without input (format(\"rest\"), the API's pages)",
            Stream => "a stream (readStream.format(\"rest\"))",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Enrichment => "enrichments",
            Input => "reads with input",
            Paginated => "paginated reads",
            Stream => "streams",
        }
    }
}

const ROWS: &[Surface] = &[Enrichment, Input];
const PAGES: &[Surface] = &[Paginated];
const STREAMS: &[Surface] = &[Stream];

/// Options that apply to some surfaces only, and an optional hint.
#[rustfmt::skip]
const TABLE: &[(&str, &[Surface], &str)] = &[
    ("bodyColumns", ROWS, "it picks the input columns of the default request body"),
    ("bodyFormat", ROWS, "it encodes the input columns of the default request body"),
    ("queryType", ROWS, "it sends the input columns as URL parameters"),
    ("input", &[Input, Stream], ""),
    ("inputData", &[Input, Stream], ""),
    ("inputPartitions", ROWS, "it repartitions the input rows"),
    ("includeInputs", ROWS, ""),
    ("arrowBatchSize", ROWS, "it sizes the batches of input rows handed to the engine"),
    ("batchKey", ROWS, "a batch endpoint takes the keys of many input rows per request"),
    ("batchUrl", ROWS, ""),
    ("batchRequestSize", ROWS, ""),
    ("batchBody", ROWS, ""),
    ("batchResultsField", ROWS, ""),
    ("batchResultKey", ROWS, ""),
    ("onError", ROWS, "a failed page or poll always fails the query"),
    ("cache", ROWS, "pages and polls are never cached"),
    ("cacheTtlSeconds", ROWS, "pages and polls are never cached"),
    ("cacheMaxEntries", ROWS, "pages and polls are never cached"),
    ("cacheDir", ROWS, "pages and polls are never cached"),
    ("explode", ROWS, "a read without input already gives one row per record"),
    ("arrayColumn", ROWS, "a read without input already gives one row per record"),
    ("paginationType", PAGES, "a stream follows offsets (offsetType), not pages"),
    ("pageParam", PAGES, ""),
    ("pageSizeParam", PAGES, ""),
    ("pageSize", PAGES, ""),
    ("startPage", PAGES, ""),
    ("cursorParam", PAGES, ""),
    ("cursorField", PAGES, ""),
    ("nextUrlField", PAGES, ""),
    ("hasMoreField", PAGES, ""),
    ("maxPages", PAGES, ""),
    ("streamingInterval", STREAMS, ""),
    ("offsetType", STREAMS, ""),
    ("offsetField", STREAMS, ""),
    ("initialOffset", STREAMS, ""),
    ("batchSize", STREAMS, "batchSize caps streaming micro-batches; for a batch endpoint use batchRequestSize with batchKey"),
    ("maxPollFailures", STREAMS, ""),
];

/// The surfaces `option` applies to (all when not listed).
pub fn surfaces_of(option: &str) -> &'static [Surface] {
    TABLE
        .iter()
        .find(|(name, _, _)| *name == option)
        .map(|(_, s, _)| *s)
        .unwrap_or(&Surface::ALL)
}

/// For each surface, the error of the first option (by name) given there
/// without effect; surfaces without one are absent. `raw` holds canonical
/// names.
pub fn misplaced(raw: &BTreeMap<String, String>) -> BTreeMap<&'static str, String> {
    let mut errors = BTreeMap::new();
    for surface in Surface::ALL {
        if let Some(message) = first_misplaced(raw, &[surface]) {
            errors.insert(surface.key(), message);
        }
    }
    // A `rest` read without input is a paginated read or a stream, which
    // Spark tells only when the query starts: options of neither fail at once.
    if let Some(message) = first_misplaced(raw, &[Paginated, Stream]) {
        errors.insert("source", message);
    }
    errors
}

fn first_misplaced(raw: &BTreeMap<String, String>, here: &[Surface]) -> Option<String> {
    raw.keys().find_map(|name| {
        let applies = surfaces_of(name);
        if here.iter().any(|s| applies.contains(s)) {
            return None;
        }
        let hint = TABLE
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, h)| *h)
            .filter(|h| !h.is_empty())
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        let where_ = applies
            .iter()
            .map(|s| s.short())
            .collect::<Vec<_>>()
            .join(" and ");
        let what = if here.len() == 1 {
            here[0].describe().to_string()
        } else {
            "a read without input (format(\"rest\") pages or readStream)".to_string()
        };
        Some(format!(
            "option '{name}' has no effect in {what}: it applies to {where_} only{hint}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| (n.to_string(), "1".to_string()))
            .collect()
    }

    #[test]
    fn batch_size_in_an_enrichment_points_to_batch_request_size() {
        let errors = misplaced(&raw(&["url", "batchSize"]));
        let e = &errors["enrichment"];
        assert!(
            e.contains("'batchSize'")
                && e.contains("streams only")
                && e.contains("batchRequestSize with batchKey"),
            "{e}"
        );
        assert!(errors.contains_key("input") && errors.contains_key("paginated"));
        assert!(!errors.contains_key("stream") && !errors.contains_key("source"));
    }

    #[test]
    fn unlisted_options_apply_everywhere() {
        assert_eq!(surfaces_of("url"), &Surface::ALL);
        assert_eq!(surfaces_of("someNewOption"), &Surface::ALL);
        assert!(misplaced(&raw(&["url", "concurrency", "header.X"])).is_empty());
    }

    #[test]
    fn a_source_without_input_refuses_row_options_at_once() {
        let errors = misplaced(&raw(&["batchKey"]));
        assert!(errors["source"].contains("'batchKey'"), "{errors:?}");
        let errors = misplaced(&raw(&["paginationType"]));
        assert!(!errors.contains_key("source"));
        assert!(errors["stream"].contains("paginated reads only"));
    }
}
