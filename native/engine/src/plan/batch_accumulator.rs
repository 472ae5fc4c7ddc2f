//! Batch endpoints in the continuous flow: the distinct keys of each Arrow
//! batch join one queue per task, and full requests of `batchRequestSize`
//! keys are cut from it whatever batch each key came from. Only when the
//! oldest batch waits for keys that no full request will take is a short
//! request sent. Each key's outcome goes back to the batch (and key index)
//! it came from.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::Result;
use crate::flow::pending_batch::{batch_mut, PendingBatch};
use crate::options::engine_options::BatchEndpoint;
use crate::plan::batch_endpoint::{chunk_outcomes, chunk_request};
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;
use crate::send::single_flight::Role;

pub struct KeyAccumulator {
    /// The key column is numeric: keys go into the body as JSON numbers.
    literal: bool,
    /// Keys not yet sent: (batch, key index in that batch, key).
    open: VecDeque<(u64, usize, String)>,
    in_flight: HashMap<u64, Chunk>,
    next_id: u64,
}

/// One batch request: its keys and where each key's outcome goes.
pub struct Chunk {
    /// (batch, key index) of each key, in request order.
    pub members: Vec<(u64, usize)>,
    keys: Vec<String>,
    pub spec: RequestSpec,
}

impl KeyAccumulator {
    pub fn new(literal: bool) -> KeyAccumulator {
        KeyAccumulator {
            literal,
            open: VecDeque::new(),
            in_flight: HashMap::new(),
            next_id: 0,
        }
    }

    /// Queues the distinct keys of batch `seq`.
    pub fn add(&mut self, seq: u64, keys: &[String]) {
        self.open
            .extend(keys.iter().enumerate().map(|(i, k)| (seq, i, k.clone())));
    }

    /// The next full request, or with `flush` the short rest.
    pub fn next_chunk(&mut self, endpoint: &BatchEndpoint, flush: bool) -> Option<Chunk> {
        let size = endpoint.request_size.max(1);
        if self.open.is_empty() || (self.open.len() < size && !flush) {
            return None;
        }
        let taken: Vec<(u64, usize, String)> =
            self.open.drain(..size.min(self.open.len())).collect();
        let keys: Vec<String> = taken.iter().map(|(_, _, k)| k.clone()).collect();
        Some(Chunk {
            members: taken.iter().map(|(s, i, _)| (*s, *i)).collect(),
            spec: chunk_request(&keys, self.literal, endpoint),
            keys,
        })
    }

    /// Remembers a chunk being sent; returns its id.
    pub fn start(&mut self, chunk: Chunk) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, chunk);
        id
    }

    pub fn spec(&self, id: u64) -> RequestSpec {
        self.in_flight
            .get(&id)
            .map(|c| c.spec.clone())
            .unwrap_or_else(|| RequestSpec {
                method: reqwest::Method::POST,
                url: String::new(),
                body: None,
            })
    }

    /// Hands each key of chunk `id` its own outcome.
    pub(crate) fn complete(
        &mut self,
        engine: &Engine,
        batches: &mut VecDeque<PendingBatch>,
        id: u64,
        outcome: Arc<Outcome>,
        role: Role,
    ) -> Result<()> {
        let (Some(chunk), Some(endpoint)) = (self.in_flight.remove(&id), &engine.options().batch)
        else {
            return Ok(());
        };
        let per_key = chunk_outcomes(&chunk.keys, &outcome, endpoint);
        let last = chunk.members.len().saturating_sub(1);
        for (n, ((seq, index), key_outcome)) in chunk.members.iter().zip(per_key).enumerate() {
            if let Some(batch) = batch_mut(batches, *seq) {
                // The request counts once, in the batch of its last key.
                batch.set(
                    *index,
                    Arc::new(key_outcome),
                    n == last && role == Role::Sent,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::batch_endpoint::test_endpoint;

    #[test]
    fn keys_of_several_batches_fill_one_request() {
        let endpoint = BatchEndpoint {
            request_size: 3,
            ..test_endpoint(None)
        };
        let mut acc = KeyAccumulator::new(true);
        acc.add(0, &["1".into(), "2".into()]);
        assert!(acc.next_chunk(&endpoint, false).is_none());
        acc.add(1, &["3".into(), "4".into()]);
        let full = acc.next_chunk(&endpoint, false).unwrap();
        assert_eq!(full.members, vec![(0, 0), (0, 1), (1, 0)]);
        assert_eq!(full.spec.body.as_deref(), Some(r#"{"ids": [1,2,3]}"#));
        assert!(acc.next_chunk(&endpoint, false).is_none());
        let rest = acc.next_chunk(&endpoint, true).unwrap();
        assert_eq!(rest.members, vec![(1, 1)]);
        assert!(acc.next_chunk(&endpoint, true).is_none());
    }
}
