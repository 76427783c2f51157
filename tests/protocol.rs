//! Every kind of frame and body a live server writes, read into the `core::protocol` type the
//! browser decodes it with: a renamed or retyped member fails here, not in a blank corner of the UI.
#![cfg(feature = "ssr")]

mod common;

use cloudevent_player::core::protocol::{
    Accepted, Cleared, ClearedCount, CloudEvent, Delivery, Envelope, ErrorBody, EventsPage, FrameKind, Gap,
    GapReason, Mode, Ping, Rejection, RejectionList, RejectionSummary, Sinks, Status,
};
use cloudevent_player::core::sse::Frame;
use common::event;
use common::live::Server;
use serde::de::DeserializeOwned;
use serde_json::json;

/// `frame` is of `kind`, and its data reads as `T`.
fn read<T: DeserializeOwned>(frame: &Frame, kind: FrameKind) -> T {
    assert_eq!(frame.event.as_deref(), Some(kind.as_str()), "{frame:?}");
    serde_json::from_str(&frame.data)
        .unwrap_or_else(|e| panic!("{} frame: {e}: {}", kind.as_str(), frame.data))
}

/// The status and body of a request, the body read as `T`.
async fn body<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> (u16, T) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

#[tokio::test]
async fn every_frame_and_body_reads_into_its_protocol_type() {
    let server = Server::start(&["--ping-interval", "50ms"]).await;
    let http = &server.http;
    let mut live = server.stream("", None).await;

    let (status, accepted): (u16, Accepted) = body(
        http.post(server.url("/events"))
            .header("content-type", "application/cloudevents-batch+json")
            .body(json!([event("p-0"), event("p-1")]).to_string()),
    )
    .await;
    assert_eq!((status, accepted.accepted, accepted.ids.len()), (202, 2, 2));
    for id in &accepted.ids {
        let frame = live.next_non_ping().await;
        assert_eq!(frame.id, Some(id.to_string()));
        let event: CloudEvent = read(&frame, FrameKind::CloudEvent);
        assert!(event.id().starts_with("p-"));
    }

    let (status, page): (u16, EventsPage) = body(http.get(server.url("/api/events"))).await;
    assert_eq!((status, page.has_more), (200, false));
    assert_eq!(page.events.iter().map(|e| e.id).collect::<Vec<_>>(), accepted.ids);
    let (_, envelope): (u16, Envelope) =
        body(http.get(server.url(&format!("/api/events/{}", accepted.ids[0])))).await;
    assert_eq!(
        (envelope.id, envelope.mode, envelope.request.method.as_str()),
        (accepted.ids[0], Mode::Batch, "POST")
    );

    let (status, error): (u16, ErrorBody) =
        body(http.post(server.url("/events")).header("content-type", "application/cloudevents+json").body(
            json!({"specversion": "1.0", "id": "x", "source": "/s", "type": "t", "time": "soon"}).to_string(),
        ))
        .await;
    assert_eq!((status, error.error.code.as_str()), (400, "invalid_event"));
    assert_eq!(error.error.details[0].attribute.as_deref(), Some("time"));
    let summary: RejectionSummary = read(&live.next_non_ping().await, FrameKind::Rejected);
    assert_eq!((summary.status, summary.code.as_str()), (400, "invalid_event"));
    let (_, list): (u16, RejectionList) = body(http.get(server.url("/api/rejections"))).await;
    assert_eq!(list.rejections, std::slice::from_ref(&summary));
    let (_, rejection): (u16, Rejection) =
        body(http.get(server.url(&format!("/api/rejections/{}", summary.id)))).await;
    assert_eq!((rejection.summary(), rejection.request.body_size), (summary.clone(), summary.size));

    let (status, bad_query): (u16, ErrorBody) = body(http.get(server.url("/api/events?limit=many"))).await;
    assert_eq!((status, bad_query.error.code.as_str()), (400, "invalid_query"));

    let (_, sinks): (u16, Sinks) = body(http.get(server.url("/api/sinks"))).await;
    assert!(sinks.sinks.is_empty());
    let (status, delivery): (u16, Delivery) = body(
        http.post(server.url("/api/send"))
            .json(&json!({"target": "self", "mode": "binary", "event": event("p-2")})),
    )
    .await;
    assert_eq!((status, delivery.status, delivery.delivered, delivery.mode), (200, 202, true, Mode::Binary));
    let sent: Accepted = serde_json::from_str(&delivery.body).expect("self answers as ingest does");
    assert_eq!(sent.accepted, 1);
    read::<CloudEvent>(&live.next_non_ping().await, FrameKind::CloudEvent);

    let (_, status): (u16, Status) = body(http.get(server.url("/api/status"))).await;
    assert_eq!((status.clients, status.total_events, status.history.len), (1, 3, 3));
    assert_eq!(status.history.last_id, Some(sent.ids[0]));

    let ping = loop {
        let frame = live.next().await;
        if frame.event.as_deref() == Some("ping") {
            break read::<Ping>(&frame, FrameKind::Ping);
        }
    };
    assert!(ping.timestamp.ends_with('Z'));

    let (status, cleared): (u16, ClearedCount) = body(http.delete(server.url("/api/events"))).await;
    assert_eq!((status, cleared.cleared), (200, 3));
    let frame: Cleared = read(&live.next_non_ping().await, FrameKind::Cleared);
    assert_eq!(frame.through, Some(sent.ids[0]));
}

#[tokio::test]
async fn gap_frames_read_into_the_gap_type() {
    let server = Server::start(&["--history", "2"]).await;
    let ids = server.post_batch(&[event("g-0"), event("g-1"), event("g-2"), event("g-3")]).await;

    let mut behind = server.stream("", Some(&ids[0])).await;
    let gap: Gap = read(&behind.next_non_ping().await, FrameKind::Gap);
    assert_eq!((gap.reason, gap.last_event_id.to_string()), (GapReason::HistoryExceeded, ids[0].clone()));

    let mut stranger = server.stream("", Some("99999999999999-0")).await;
    let gap: Gap = read(&stranger.next_non_ping().await, FrameKind::Gap);
    assert_eq!((gap.reason, gap.missed), (GapReason::UnknownId, None));
    assert_eq!(gap.last_event_id.to_string(), "99999999999999-0");
}
