//! Pages once: the driver reads the first page to plan the partitions
//! (totals), and hands that page to the partition that starts there, inside
//! its state, so the partition does not request it again.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::source::pagination::{PageState, Step};

/// A page already read: its JSON, its `Link` header and its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefetched {
    pub body: Value,
    pub link: Option<String>,
    pub url: String,
}

/// Gives `page` (read at the first position, `start_page`) to the state
/// that starts there, if any.
pub fn hand_over(states: &mut [PageState], page: Prefetched, start_page: u64) {
    if let Some(state) = states.iter_mut().find(|s| match s.step {
        Step::First => true,
        Step::At { position } => position == start_page,
        _ => false,
    }) {
        state.prefetched = Some(page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_page_goes_to_the_partition_that_starts_there() {
        let page = Prefetched {
            body: json!({"results": [1]}),
            link: None,
            url: "http://h/items?page=1".into(),
        };
        let at = |position| PageState {
            step: Step::At { position },
            end: None,
            pages_read: 0,
            prefetched: None,
        };
        let mut states = vec![at(1), at(6)];
        hand_over(&mut states, page.clone(), 1);
        assert_eq!(states[0].prefetched.as_ref(), Some(&page));
        assert!(states[1].prefetched.is_none());
        // It travels with the state (the JVM passes it verbatim).
        let json = serde_json::to_string(&states[0]).unwrap();
        let back: PageState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, states[0]);
        let mut sequential = vec![PageState::first()];
        hand_over(&mut sequential, page, 1);
        assert!(sequential[0].prefetched.is_some());
    }
}
