//! The `EventLog` contract, one set of tests run on both backends: the memory ring and Redis
//! Streams (the Redis of `CEP_TEST_REDIS_URL`, a fresh stream per test).
#![cfg(feature = "ssr")]

mod common;

use cloudevent_player::core::cloudevent::{Mode, decode_structured};
use cloudevent_player::core::envelope::RequestRecord;
use cloudevent_player::core::id::EventId;
use cloudevent_player::core::lab::DeliveryRecord;
use cloudevent_player::server::event_log::{Batch, EventLog, MemoryLog, Range, RedisLog, missed};
use cloudevent_player::server::hub::{Hub, Message};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

#[derive(Clone, Copy)]
enum Kind {
    Memory,
    Redis,
}

/// A log under test, the hub it publishes to, and how far over capacity it may run: Redis trims
/// with `XADD MAXLEN ~`, which only drops whole stream nodes (`stream-node-max-entries`, 100).
struct Backend {
    log: Arc<dyn EventLog>,
    hub: Hub,
    slack: usize,
}

/// `None` when Redis tests are skipped (see `common::redis_url`).
async fn backend(kind: Kind, capacity: usize, test: &str) -> Option<Backend> {
    let hub = Hub::new(1024);
    let (log, slack): (Arc<dyn EventLog>, usize) = match kind {
        Kind::Memory => (Arc::new(MemoryLog::new(capacity, usize::MAX, hub.clone())), 0),
        Kind::Redis => {
            let url = common::redis_url()?;
            let stream = common::unique_stream(test);
            (Arc::new(RedisLog::connect(&url, &stream, capacity, hub.clone()).await.unwrap()), 100)
        }
    };
    Some(Backend { log, hub, slack })
}

/// Runs each contract test on each backend: `memory::<name>` and `redis::<name>`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test] async fn $name() { super::$name(super::Kind::Memory).await })*
        }
        mod redis {
            $(#[tokio::test] async fn $name() { super::$name(super::Kind::Redis).await })*
        }
    };
}

contract!(
    appends_issue_increasing_ids_and_publish_in_order,
    ranges_select_by_bounds_limit_and_end,
    get_returns_the_envelope_as_stored,
    a_repeated_source_and_id_is_a_duplicate_of_the_newest_one,
    duplicates_are_forgotten_once_evicted,
    history_stays_near_capacity_and_keeps_the_newest_events,
    clear_empties_the_history_publishes_cleared_and_never_reuses_ids,
    events_stored_right_after_a_clear_are_published_after_it,
    concurrent_batches_are_stored_whole,
    stats_count_bounds_totals_and_issued_ids,
    health_is_ok_while_the_backend_answers,
    counts_the_events_issued_up_to_any_id,
    counts_what_a_reader_after_an_evicted_id_missed,
);

fn batch(ids: &[&str]) -> Batch {
    let events = ids
        .iter()
        .map(|id| {
            let body = format!(r#"{{"specversion":"1.0","id":"{id}","source":"/test","type":"t"}}"#);
            decode_structured(body.as_bytes()).unwrap()
        })
        .collect();
    let request = RequestRecord::new("POST", "/events", [("content-type", &b"application/json"[..])], b"[]");
    let request = std::sync::Arc::new(request);
    Batch {
        mode: Mode::Batch,
        events,
        request,
        received_at: "2026-11-26T00:00:00.000Z".into(),
        deliveries: Vec::new(),
    }
}

fn names(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

async fn append(log: &Arc<dyn EventLog>, ids: &[&str]) -> Vec<EventId> {
    log.append(batch(ids)).await.unwrap().iter().map(|e| e.id()).collect()
}

async fn append_names(log: &Arc<dyn EventLog>, names: &[String]) -> Vec<EventId> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    append(log, &refs).await
}

async fn all(log: &Arc<dyn EventLog>) -> Vec<EventId> {
    let page = log.range(Range { limit: usize::MAX, ..Range::default() }).await.unwrap();
    page.entries.iter().map(|e| e.id()).collect()
}

async fn received(rx: &mut broadcast::Receiver<Message>) -> Message {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("published within 10 s")
        .expect("no lag in a test this small")
}

fn event_ids(page: &cloudevent_player::server::event_log::Page) -> Vec<String> {
    page.entries.iter().map(|e| e.envelope.event.id().to_owned()).collect()
}

async fn appends_issue_increasing_ids_and_publish_in_order(kind: Kind) {
    let Some(b) = backend(kind, 100, "order").await else { return };
    let mut rx = b.hub.subscribe();
    let mut issued = append(&b.log, &["a", "b", "c"]).await;
    // A retry a rule refused: its answer travels in the frame too.
    let record =
        DeliveryRecord { attempt: 2, status: 503, rule: Some("r".into()), ..DeliveryRecord::default() };
    let retried = Batch { deliveries: vec![record], ..batch(&["d"]) };
    issued.extend(b.log.append(retried).await.unwrap().iter().map(|e| e.id()));
    assert!(issued.windows(2).all(|w| w[0] < w[1]), "{issued:?}");
    for (i, expected) in issued.iter().enumerate() {
        match received(&mut rx).await {
            Message::Event(live) => {
                assert_eq!(live.id, *expected);
                let entry = live.entry().expect("a just-published event is alive");
                let frame = std::str::from_utf8(&entry.frame).unwrap();
                // The events' relative source and bare type travel as rule ids, on both backends.
                let answer = if i == 3 { "delivery: 503 attempt 2\n" } else { "" };
                let head = format!(
                    "id: {expected}\nevent: cloudevent\nwarnings: source-absolute type-prefix\n{answer}data: {{"
                );
                assert!(frame.starts_with(&head), "{frame}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(rx.try_recv().is_err(), "each event is published once");
}

async fn ranges_select_by_bounds_limit_and_end(kind: Kind) {
    let Some(b) = backend(kind, 100, "range").await else { return };
    let all = append(&b.log, &["0", "1", "2", "3", "4", "5"]).await;
    let range = |after, before, limit, from_end| Range { after, before, limit, from_end };
    let page = b.log.range(range(Some(all[1]), None, 2, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec!["2".into(), "3".into()], true));
    let page = b.log.range(range(None, Some(all[4]), 2, true)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec!["2".into(), "3".into()], true));
    let page = b.log.range(range(Some(all[3]), None, 10, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec!["4".into(), "5".into()], false));
    let page = b.log.range(range(Some(all[0]), Some(all[3]), 10, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec!["1".into(), "2".into()], false));
    let page = b.log.range(range(Some(all[5]), None, 10, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec![], false));
    let page = b.log.range(range(Some(all[2]), Some(all[3]), 10, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec![], false), "nothing strictly between neighbours");
    // The id before the first one at the same millisecond: `seq` wraps to the previous millisecond.
    let before_first = EventId::new(all[0].ms - 1, u64::MAX);
    let page = b.log.range(range(Some(before_first), None, 1, false)).await.unwrap();
    assert_eq!((event_ids(&page), page.has_more), (vec!["0".into()], true));
    let page = b.log.range(range(None, None, 3, true)).await.unwrap();
    assert_eq!(event_ids(&page), vec!["3", "4", "5"], "the newest, oldest first");
}

async fn get_returns_the_envelope_as_stored(kind: Kind) {
    let Some(b) = backend(kind, 100, "get").await else { return };
    let body = r#"{"specversion":"1.0","id":"w","source":"relative/source","type":"t",
        "subject":"s","data":{"k":[1,2]}}"#;
    let validated = decode_structured(body.as_bytes()).unwrap();
    assert!(!validated.warnings.is_empty(), "a relative source is stored with a warning");
    let request = RequestRecord::new(
        "POST",
        "/events?x=1",
        [("content-type", &b"application/cloudevents+json"[..])],
        body.as_bytes(),
    );
    let batch = Batch {
        mode: Mode::Structured,
        events: vec![validated],
        request: std::sync::Arc::new(request),
        received_at: "2026-11-26T01:02:03.004Z".into(),
        deliveries: vec![DeliveryRecord {
            attempt: 2,
            status: 503,
            rule: Some("flaky".into()),
            delay_ms: Some(20),
            retry_after: Some("1".into()),
            delay_skipped: false,
        }],
    };
    let appended = b.log.append(batch).await.unwrap().remove(0);
    let stored = b.log.get(appended.id()).await.unwrap().expect("stored");
    assert_eq!(stored.envelope, appended.envelope);
    assert_eq!(
        stored.envelope.delivery.as_ref().map(|d| (d.attempt, d.status)),
        Some((2, 503)),
        "the answer is stored"
    );
    assert_eq!(stored.frame, appended.frame, "the frame carries the event exactly as stored");
    assert!(b.log.get(EventId::new(1, 1)).await.unwrap().is_none());
    assert!(b.log.get(EventId::new(appended.id().ms, appended.id().seq + 1)).await.unwrap().is_none());
}

async fn a_repeated_source_and_id_is_a_duplicate_of_the_newest_one(kind: Kind) {
    let Some(b) = backend(kind, 100, "dup").await else { return };
    let first = b.log.append(batch(&["x"])).await.unwrap();
    let again = b.log.append(batch(&["x", "y", "x"])).await.unwrap();
    assert_eq!(first[0].envelope.duplicate_of, None);
    assert_eq!(again[0].envelope.duplicate_of, Some(first[0].id()));
    assert_eq!(again[1].envelope.duplicate_of, None);
    assert_eq!(again[2].envelope.duplicate_of, Some(again[0].id()));
    let stored = b.log.get(again[2].id()).await.unwrap().unwrap();
    assert_eq!(stored.envelope.duplicate_of, Some(again[0].id()), "the mark is stored");
}

async fn duplicates_are_forgotten_once_evicted(kind: Kind) {
    let Some(b) = backend(kind, 2, "evict").await else { return };
    let x = append(&b.log, &["x"]).await[0];
    for round in 0..6 {
        append_names(&b.log, &names(50, &format!("r{round}-"))).await;
    }
    let stats = b.log.stats().await.unwrap();
    assert!(stats.evicted_through.is_some_and(|through| through >= x), "{stats:?}");
    let again = b.log.append(batch(&["x"])).await.unwrap();
    assert_eq!(again[0].envelope.duplicate_of, None, "the original is no longer in the history");
}

async fn history_stays_near_capacity_and_keeps_the_newest_events(kind: Kind) {
    let capacity = 20;
    let Some(b) = backend(kind, capacity, "bounded").await else { return };
    let mut issued = Vec::new();
    for round in 0..80 {
        issued.extend(append_names(&b.log, &names(1 + round % 7, &format!("{round}-"))).await);
        let len = b.log.stats().await.unwrap().len;
        assert!(len <= capacity + b.slack, "{len} events kept with capacity {capacity}");
        assert!(len >= capacity.min(issued.len()), "never trimmed below capacity: {len}");
    }
    let kept = all(&b.log).await;
    assert_eq!(kept, issued[issued.len() - kept.len()..], "the newest events, in order");
    let stats = b.log.stats().await.unwrap();
    assert_eq!(
        (stats.len, stats.first_id, stats.last_id),
        (kept.len(), kept.first().copied(), issued.last().copied())
    );
    let after = kept[kept.len() / 2];
    let page =
        b.log.range(Range { after: Some(after), limit: usize::MAX, ..Range::default() }).await.unwrap();
    let suffix: Vec<EventId> = page.entries.iter().map(|e| e.id()).collect();
    assert_eq!(suffix, kept[kept.len() / 2 + 1..], "replay after a kept id is the exact suffix");
}

async fn counts_the_events_issued_up_to_any_id(kind: Kind) {
    let Some(b) = backend(kind, 1000, "issued").await else { return };
    let mut issued = Vec::new();
    for round in 0..20 {
        issued.extend(append_names(&b.log, &names(1 + round % 5, &format!("{round}-"))).await);
    }
    b.log.clear().await.unwrap();
    issued.extend(append_names(&b.log, &names(3, "late-")).await);
    let mut probes = vec![EventId::ZERO, issued[0].predecessor(), EventId::MAX.predecessor()];
    for id in &issued {
        probes.extend([*id, id.successor(), EventId::new(id.ms, id.seq + 7), EventId::new(id.ms + 1, 0)]);
    }
    let counts = b.log.issued_through(probes.clone()).await.unwrap();
    for (probe, count) in probes.iter().zip(counts) {
        let expected = issued.iter().filter(|id| *id <= probe).count() as u64;
        assert_eq!(count, Some(expected), "ids issued up to {probe}");
    }
}

async fn counts_what_a_reader_after_an_evicted_id_missed(kind: Kind) {
    let capacity = 10;
    let Some(b) = backend(kind, capacity, "missed").await else { return };
    let mut issued = Vec::new();
    for round in 0..40 {
        issued.extend(append_names(&b.log, &names(1 + round % 9, &format!("{round}-"))).await);
    }
    let stats = b.log.stats().await.unwrap();
    let first_kept = stats.first_id.unwrap();
    let kept = issued.iter().filter(|id| **id >= first_kept).count();
    assert!(kept < issued.len(), "the history dropped events");
    let through = first_kept.predecessor();
    for at in [0, 1, issued.len() / 2, issued.len() - kept - 1] {
        let expected = (issued.len() - kept - at - 1) as u64;
        let count = missed(&*b.log, issued[at], through, stats.cleared_through).await.unwrap();
        assert_eq!(count, Some(expected), "after the {at}th of {} issued, {kept} kept", issued.len());
    }
    b.log.clear().await.unwrap();
    let cleared = b.log.stats().await.unwrap().cleared_through;
    let count = missed(&*b.log, issued[0], *issued.last().unwrap(), cleared).await.unwrap();
    assert_eq!(count, Some(0), "what a clear removed is not counted as missed");
}

async fn clear_empties_the_history_publishes_cleared_and_never_reuses_ids(kind: Kind) {
    let Some(b) = backend(kind, 100, "clear").await else { return };
    let mut rx = b.hub.subscribe();
    let before = append(&b.log, &["a", "b"]).await;
    for id in &before {
        assert!(matches!(received(&mut rx).await, Message::Event(e) if e.id == *id));
    }
    assert_eq!(b.log.clear().await.unwrap(), 2);
    let stats = b.log.stats().await.unwrap();
    assert_eq!((stats.len, stats.first_id, stats.last_id), (0, None, None));
    assert_eq!(stats.cleared_through, Some(before[1]));
    assert!(all(&b.log).await.is_empty());
    assert!(b.log.get(before[0]).await.unwrap().is_none());
    assert_eq!(b.log.clear().await.unwrap(), 0, "clearing an empty history removes nothing");
    let after = b.log.append(batch(&["a"])).await.unwrap();
    assert!(after[0].id() > before[1]);
    assert_eq!(after[0].envelope.duplicate_of, None, "cleared events are not originals any more");
    assert_eq!(all(&b.log).await, vec![after[0].id()]);
    for _ in 0..2 {
        let message = received(&mut rx).await;
        assert!(matches!(message, Message::Cleared { through } if through == Some(before[1])), "{message:?}");
    }
    assert!(matches!(received(&mut rx).await, Message::Event(e) if e.id == after[0].id()));
}

async fn events_stored_right_after_a_clear_are_published_after_it(kind: Kind) {
    let Some(b) = backend(kind, 100, "clear-burst").await else { return };
    let mut rx = b.hub.subscribe();
    let mut rounds = Vec::new();
    // Back to back, so clears and appends share milliseconds and the tail reads several at once.
    for round in 0..20 {
        rounds.push(append(&b.log, &[&format!("{round}")]).await[0]);
        b.log.clear().await.unwrap();
    }
    let last = append(&b.log, &["last"]).await[0];
    // Redis's tail reads what is stored when it reads: an event cleared before that is gone and
    // never published, and clears in a row trim each other's markers into one `cleared`. What is
    // published is in order, with a `cleared` between events of two rounds and before the last.
    let mut previous = None;
    let mut cleared_since = false;
    loop {
        match received(&mut rx).await {
            Message::Cleared { .. } => cleared_since = true,
            Message::Event(entry) => {
                let round = rounds.iter().position(|id| *id == entry.id);
                if let Some(previous) = previous {
                    assert!(round.is_none_or(|r| r > previous), "in order: {round:?} after {previous}");
                }
                assert!(previous.is_none() || cleared_since, "a clear between two rounds");
                if entry.id == last {
                    break;
                }
                previous = round;
                cleared_since = false;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(cleared_since, "the last event comes after a `cleared`");
}

async fn concurrent_batches_are_stored_whole(kind: Kind) {
    let Some(b) = backend(kind, 1000, "atomic").await else { return };
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let log = Arc::clone(&b.log);
            tokio::spawn(async move {
                let mut batches = Vec::new();
                for round in 0..5 {
                    batches.push(append_names(&log, &names(10, &format!("t{task}-{round}-"))).await);
                }
                batches
            })
        })
        .collect();
    let mut batches = Vec::new();
    for task in tasks {
        batches.extend(task.await.unwrap());
    }
    let stored = all(&b.log).await;
    let mut seen = 0;
    for ids in batches {
        let at = stored.iter().position(|id| *id == ids[0]).expect("stored");
        assert_eq!(stored[at..at + ids.len()], ids[..], "a batch is never interleaved with another");
        seen += ids.len();
    }
    assert_eq!(stored.len(), seen);
}

async fn stats_count_bounds_totals_and_issued_ids(kind: Kind) {
    let Some(b) = backend(kind, 50, "stats").await else { return };
    let empty = b.log.stats().await.unwrap();
    assert_eq!((empty.len, empty.capacity, empty.first_id, empty.last_id), (0, 50, None, None));
    assert_eq!((empty.total_appended, empty.last_issued), (0, None));
    let mut issued = append(&b.log, &["a", "b", "c"]).await;
    issued.extend(append(&b.log, &["d"]).await);
    let stats = b.log.stats().await.unwrap();
    assert_eq!((stats.len, stats.capacity), (4, 50));
    assert_eq!((stats.first_id, stats.last_id), (Some(issued[0]), Some(issued[3])));
    assert_eq!((stats.total_appended, stats.last_issued), (4, Some(issued[3])));
    assert_eq!((stats.evicted_through, stats.cleared_through), (None, None));
    assert!(stats.origin <= issued[0], "ids of this history are not older than its origin");
    assert_eq!(
        b.log.backend(),
        match kind {
            Kind::Memory => "memory",
            Kind::Redis => "redis",
        }
    );
}

async fn health_is_ok_while_the_backend_answers(kind: Kind) {
    let Some(b) = backend(kind, 10, "health").await else { return };
    b.log.health().await.unwrap();
}
