//! Server-Sent Events wire format (WHATWG HTML §9.2 "Server-sent events"): [`Frame`] encoding, done once
//! per event by the server, and the incremental [`Parser`] that the browser runs and the server's tests use.
//! Bytes in, frames out: no I/O, no timers, no reconnection policy.

use std::fmt::Write as _;
use std::mem;

/// UTF-8 byte order mark, stripped once at the start of a stream (WHATWG §9.2.5: the stream is decoded
/// with "UTF-8 decode", which drops one leading BOM).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One server-sent event (WHATWG §9.2.5 event stream model).
///
/// `event: None` means the default type `message`. `id` and `retry` are the fields sent in this event's
/// own block, not values carried over from earlier events: a ping has `id: None` even when the stream's
/// last event id is set (see [`Parser::last_event_id`] for that).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The `event` field; `None` (or an empty name) means `message`.
    pub event: Option<String>,
    /// The `data` lines joined with `\n`.
    pub data: String,
    /// The `id` field of this event, if it had one.
    pub id: Option<String>,
    /// The `retry` field of this event (reconnection time in milliseconds), if it had a valid one.
    pub retry: Option<u64>,
    /// The `warnings` field: the player's own, on `cloudevent` frames, the ids of the SHOULD-level
    /// rules the event breaks. Other clients ignore it, as WHATWG §9.2.6 has them ignore any field
    /// they do not know; the event's `data` stays exactly as stored.
    pub warnings: Option<String>,
    /// The `delivery` field: the player's own, on `cloudevent` frames, the delivery lab's answer to
    /// a redelivery or a rule's answer (`503 attempt 3`); ignored by other clients like `warnings`.
    pub delivery: Option<String>,
}

impl Frame {
    /// An event of type `event` carrying `data`.
    pub fn new(event: &str, data: impl Into<String>) -> Self {
        Self { event: Some(event.to_owned()), data: data.into(), ..Self::default() }
    }

    /// Sets the event id, which the client sends back as `Last-Event-ID` to resume after it.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the `warnings` field; an empty list writes none.
    #[must_use]
    pub fn with_warnings(mut self, ids: impl Into<String>) -> Self {
        self.warnings = Some(ids.into()).filter(|ids| !ids.is_empty());
        self
    }

    /// Sets the `delivery` field.
    #[must_use]
    pub fn with_delivery(mut self, answer: Option<String>) -> Self {
        self.delivery = answer;
        self
    }

    /// Sets the reconnection time in milliseconds. `Frame::default().with_retry(3000)` encodes as the bare
    /// `retry: 3000` block that opens a stream.
    #[must_use]
    pub fn with_retry(mut self, millis: u64) -> Self {
        self.retry = Some(millis);
        self
    }

    /// The wire bytes of this frame; see [`Frame::encode_into`].
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.data.len() + 64);
        self.encode_into(&mut out);
        out
    }

    /// Appends the wire bytes: `id:`, `event:` and `retry:` lines, one `data:` line per line of `data`
    /// (split on `\n`, `\r\n` and `\r`, so a parser gets the lines back joined with `\n`), then a blank line.
    ///
    /// Never panics. A field value cannot hold a line end, so CR and LF are removed from `event` and `id`,
    /// and NUL from `id` (a parser ignores an id containing NUL, WHATWG §9.2.6). An empty `event` is not
    /// written, as it means `message` like `None`. A frame with only `retry` (no event, no id, empty
    /// data) is written as `retry: N` alone: it sets the client's reconnection time and dispatches no event.
    /// Every other frame gets at least one `data:` line, so it is dispatched even with empty data.
    pub fn encode_into(&self, out: &mut String) {
        if let Some(id) = &self.id {
            write_field(out, "id", id, |c| matches!(c, '\r' | '\n' | '\0'));
        }
        let fields = [
            ("event", self.event.as_deref().filter(|e| !e.is_empty())),
            ("warnings", self.warnings.as_deref()),
            ("delivery", self.delivery.as_deref()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                write_field(out, name, value, |c| matches!(c, '\r' | '\n'));
            }
        }
        if let Some(retry) = self.retry {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "retry: {retry}");
        }
        if !self.is_retry_only() {
            let mut rest = self.data.as_str();
            loop {
                // Bytes, not chars: CR and LF never occur inside a UTF-8 sequence.
                let end = memchr::memchr2(b'\r', b'\n', rest.as_bytes()).unwrap_or(rest.len());
                write_field(out, "data", &rest[..end], |_| false);
                match rest.as_bytes().get(end) {
                    None => break,
                    Some(b'\r') if rest.as_bytes().get(end + 1) == Some(&b'\n') => rest = &rest[end + 2..],
                    Some(_) => rest = &rest[end + 1..],
                }
            }
        }
        out.push('\n');
    }

    /// Only a reconnection time: no event name, no id, no data. Such a block dispatches no event.
    fn is_retry_only(&self) -> bool {
        self.retry.is_some()
            && self.id.is_none()
            && self.warnings.is_none()
            && self.delivery.is_none()
            && self.event.as_deref().is_none_or(str::is_empty)
            && self.data.is_empty()
    }
}

/// Writes `name: value\n` without the characters `drop` rejects, or `name:\n` when nothing remains. The
/// space after the colon keeps a value that starts with a space intact, since a parser removes exactly one.
fn write_field(out: &mut String, name: &str, value: &str, drop: impl Fn(char) -> bool + Copy) {
    out.push_str(name);
    out.push(':');
    // Every dropped character is ASCII: a value without them (all but hostile ones) is copied whole.
    if !value.is_empty() && !value.bytes().any(|b| b.is_ascii() && drop(char::from(b))) {
        out.push(' ');
        out.push_str(value);
    } else if value.chars().any(|c| !drop(c)) {
        out.push(' ');
        value.split(drop).for_each(|piece| out.push_str(piece));
    }
    out.push('\n');
}

/// Incremental event stream parser (WHATWG §9.2.6 "Interpreting an event stream"), fed byte chunks as they
/// arrive. A chunk may end anywhere: inside a line, between the CR and LF of a line end, inside a UTF-8
/// character or inside the leading BOM. Only the unterminated tail of the last line is copied and kept;
/// complete lines are read in place from the chunk.
///
/// Decoding is lossy: invalid UTF-8 becomes U+FFFD, as the spec's "UTF-8 decode" does, and no input
/// panics. An event the stream ends inside (no blank line yet) is never dispatched.
#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of the current line not yet ended by CR or LF.
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF opening this chunk belongs to that line end (CRLF).
    after_cr: bool,
    /// How many bytes of a leading BOM have been seen while the stream start is still undecided.
    bom_len: usize,
    /// The stream start (BOM or not) has been decided; later BOMs are content.
    started: bool,
    /// WHATWG "data buffer": each `data` value followed by LF.
    data: String,
    /// WHATWG "event type buffer".
    event: String,
    /// The `id` field of the current block, if any (it also is the spec's "last event ID buffer").
    id: Option<String>,
    /// The valid `retry` field of the current block, if any.
    block_retry: Option<u64>,
    /// The `warnings` and `delivery` fields of the current block, if any.
    warnings: Option<String>,
    delivery: Option<String>,
    /// WHATWG "last event ID string": the id buffer as of the last blank line.
    last_event_id: String,
    /// WHATWG "reconnection time", once the stream set one.
    retry: Option<u64>,
    /// Comment lines seen, including `:` keep-alives.
    comments: u64,
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `chunk` and returns the frames it completes, in stream order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        let mut frames = Vec::new();
        self.push_with(chunk, |frame| frames.push(frame));
        frames
    }

    /// Feeds `chunk` and hands each frame it completes to `on_frame`, in stream order, without
    /// collecting them first.
    pub fn push_with(&mut self, chunk: &[u8], mut on_frame: impl FnMut(Frame)) {
        self.feed(chunk, &mut on_frame);
    }

    /// [`Parser::push_with`]'s body, `dyn` so the page holds one copy of it.
    fn feed(&mut self, chunk: &[u8], on_frame: &mut dyn FnMut(Frame)) {
        let mut rest = self.skip_bom(chunk);
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        // WHATWG §9.2.6: a line ends at CRLF, LF or CR.
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let next = if rest[end] == b'\r' {
                match rest.get(end + 1) {
                    Some(b'\n') => end + 2,
                    Some(_) => end + 1,
                    None => {
                        self.after_cr = true;
                        end + 1
                    }
                }
            } else {
                end + 1
            };
            if self.line.is_empty() {
                self.process_line(&rest[..end], on_frame);
            } else {
                let mut line = mem::take(&mut self.line);
                line.extend_from_slice(&rest[..end]);
                self.process_line(&line, on_frame);
                line.clear();
                self.line = line;
            }
            rest = &rest[next..];
        }
        self.line.extend_from_slice(rest);
    }

    /// The id a client sends as `Last-Event-ID` on reconnect (WHATWG §9.2.4): the "last event ID string", i.e. the
    /// last `id` field as of the most recent blank line, so the id of an event cut off mid-way is not
    /// used. `None` when no id was seen or the server reset it with an empty `id`, which per the spec
    /// means sending no `Last-Event-ID` header.
    pub fn last_event_id(&self) -> Option<&str> {
        Some(self.last_event_id.as_str()).filter(|id| !id.is_empty())
    }

    /// The latest valid `retry` value (reconnection time in milliseconds), applied as soon as its line
    /// ends, as the spec does.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// How many comment lines (starting with `:`) the stream has carried; comments are otherwise ignored.
    pub fn comments(&self) -> u64 {
        self.comments
    }

    /// Prepares for a new connection's stream: drops the partial line and event and expects a BOM again,
    /// but keeps [`Parser::last_event_id`], [`Parser::retry`] and the comment count, as an `EventSource`
    /// keeps them across reconnections.
    pub fn reset(&mut self) {
        *self = Self {
            line: mem::take(&mut self.line),
            last_event_id: mem::take(&mut self.last_event_id),
            retry: self.retry,
            comments: self.comments,
            ..Self::default()
        };
        self.line.clear();
    }

    /// Strips the BOM at the very start of the stream, even when it arrives split across chunks. Bytes
    /// held as a possible BOM prefix that turn out not to be one go back into the line as content.
    fn skip_bom<'a>(&mut self, mut chunk: &'a [u8]) -> &'a [u8] {
        if self.started {
            return chunk;
        }
        while self.bom_len < BOM.len() {
            match chunk.split_first() {
                None => return chunk,
                Some((&byte, rest)) if byte == BOM[self.bom_len] => {
                    self.bom_len += 1;
                    chunk = rest;
                }
                Some(_) => {
                    // Only bytes of the BOM prefix were held, none of them a line end: they start the line.
                    self.line.extend_from_slice(&BOM[..self.bom_len]);
                    break;
                }
            }
        }
        self.started = true;
        chunk
    }

    /// WHATWG §9.2.6: a blank line dispatches, `:` starts a comment, otherwise the line is a field whose
    /// name runs to the first colon and whose value follows it, minus one leading space.
    /// `dyn`: one copy of the line and dispatch code in the page, whoever reads frames.
    fn process_line(&mut self, line: &[u8], on_frame: &mut dyn FnMut(Frame)) {
        if line.is_empty() {
            self.dispatch(on_frame);
            return;
        }
        if line[0] == b':' {
            self.comments += 1;
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            // A line without a colon is a field name with an empty value.
            None => (line, &[][..]),
        };
        match name {
            b"event" => {
                self.event.clear();
                self.event.push_str(&String::from_utf8_lossy(value));
            }
            b"data" => {
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            // An id containing NUL is ignored: it could not travel back in a `Last-Event-ID` header.
            b"id" if !value.contains(&0) => self.id = Some(String::from_utf8_lossy(value).into_owned()),
            b"warnings" => self.warnings = Some(String::from_utf8_lossy(value).into_owned()),
            b"delivery" => self.delivery = Some(String::from_utf8_lossy(value).into_owned()),
            // Only ASCII digits are a valid retry; anything else (or a value past u64) is ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Some(millis) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                    self.retry = Some(millis);
                    self.block_retry = Some(millis);
                }
            }
            _ => {}
        }
    }

    /// WHATWG §9.2.6 "dispatch the event": the last event ID string takes the id buffer's value even when
    /// nothing is dispatched; an empty data buffer dispatches nothing; one trailing LF is removed.
    fn dispatch(&mut self, on_frame: &mut dyn FnMut(Frame)) {
        if let Some(id) = &self.id {
            self.last_event_id.clone_from(id);
        }
        let id = self.id.take();
        let retry = self.block_retry.take();
        let warnings = self.warnings.take();
        let delivery = self.delivery.take();
        if self.data.is_empty() {
            self.event.clear();
            return;
        }
        self.data.pop();
        let event = Some(mem::take(&mut self.event)).filter(|e| !e.is_empty());
        on_frame(Frame { event, data: mem::take(&mut self.data), id, retry, warnings, delivery });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(bytes: &[u8]) -> Vec<Frame> {
        Parser::new().push(bytes)
    }

    fn parse_chunked(chunks: &[&[u8]]) -> (Vec<Frame>, Parser) {
        let mut parser = Parser::new();
        let frames = chunks.iter().flat_map(|chunk| parser.push(chunk)).collect();
        (frames, parser)
    }

    fn message(data: &str) -> Frame {
        Frame { data: data.to_owned(), ..Frame::default() }
    }

    // Encoding

    #[test]
    fn encodes_the_seed_format() {
        assert_eq!(Frame::default().with_retry(3000).encode(), "retry: 3000\n\n");
        assert_eq!(
            Frame::new("cloudevent", r#"{"id":"abc"}"#).with_id("1764130000123-0").encode(),
            "id: 1764130000123-0\nevent: cloudevent\ndata: {\"id\":\"abc\"}\n\n"
        );
        assert_eq!(Frame::new("ping", "{}").encode(), "event: ping\ndata: {}\n\n");
    }

    #[test]
    fn encodes_one_data_line_per_line_of_data_for_every_line_end() {
        assert_eq!(message("a\nb\r\nc\rd").encode(), "data: a\ndata: b\ndata: c\ndata: d\n\n");
        assert_eq!(message("a\n").encode(), "data: a\ndata:\n\n");
        assert_eq!(message("\r\n\r").encode(), "data:\ndata:\ndata:\n\n");
    }

    #[test]
    fn encodes_empty_data_as_one_empty_data_line_so_the_event_is_dispatched() {
        assert_eq!(Frame::new("cleared", "").encode(), "event: cleared\ndata:\n\n");
        assert_eq!(parse(Frame::new("cleared", "").encode().as_bytes()), vec![Frame::new("cleared", "")]);
        assert_eq!(Frame::default().encode(), "data:\n\n");
    }

    #[test]
    fn encodes_a_retry_only_frame_without_data_so_nothing_is_dispatched() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(Frame::default().with_retry(42).encode().as_bytes()), vec![]);
        assert_eq!(parser.retry(), Some(42));
    }

    #[test]
    fn encoding_removes_line_ends_from_event_and_id_and_nul_from_id() {
        let frame = Frame::new("a\r\nb\nc\r", "x").with_id("1\n2\r\0-3");
        assert_eq!(frame.encode(), "id: 12-3\nevent: abc\ndata: x\n\n");
        assert_eq!(Frame::new("x", "y").with_id("\n").encode(), "id:\nevent: x\ndata: y\n\n");
    }

    #[test]
    fn encoding_skips_an_empty_event_name() {
        assert_eq!(Frame::new("", "x").encode(), "data: x\n\n");
    }

    #[test]
    fn encoding_keeps_a_leading_space_in_values() {
        let frame = Frame::new(" spaced", " data").with_id(" 1");
        assert_eq!(parse(frame.encode().as_bytes()), vec![frame]);
    }

    #[test]
    fn encode_into_appends() {
        let mut out = String::from("x");
        message("y").encode_into(&mut out);
        assert_eq!(out, "xdata: y\n\n");
    }

    // Parsing: line ends (WHATWG §9.2.6)

    #[test]
    fn parses_lf_line_ends() {
        assert_eq!(parse(b"event: a\ndata: 1\n\n"), vec![Frame::new("a", "1")]);
    }

    #[test]
    fn parses_crlf_line_ends() {
        assert_eq!(parse(b"event: a\r\ndata: 1\r\n\r\n"), vec![Frame::new("a", "1")]);
    }

    #[test]
    fn parses_cr_line_ends() {
        assert_eq!(parse(b"event: a\rdata: 1\r\r"), vec![Frame::new("a", "1")]);
    }

    #[test]
    fn parses_mixed_line_ends() {
        assert_eq!(parse(b"data: 1\rdata: 2\r\ndata: 3\n\r\n"), vec![message("1\n2\n3")]);
        assert_eq!(parse(b"data: 1\n\rdata: 2\r\n\n"), vec![message("1"), message("2")]);
    }

    #[test]
    fn cr_at_chunk_end_and_lf_at_next_chunk_start_are_one_line_end() {
        let (frames, _) = parse_chunked(&[b"data: 1\r", b"\ndata: 2\r", b"\n\r", b"\n"]);
        assert_eq!(frames, vec![message("1\n2")]);
    }

    #[test]
    fn cr_at_chunk_end_ends_the_line_without_waiting_for_the_next_chunk() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(b"data: 1\r\r"), vec![message("1")]);
        assert_eq!(parser.push(b"\ndata: 2\n\n"), vec![message("2")]);
    }

    #[test]
    fn cr_then_empty_chunk_then_lf_is_one_line_end() {
        let (frames, _) = parse_chunked(&[b"data: 1\r", b"", b"\n", b"\n"]);
        assert_eq!(frames, vec![message("1")]);
    }

    // Parsing: fields

    #[test]
    fn ignores_comment_lines_and_counts_them() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(b": hello\n:\ndata: 1\n: inside\n\n"), vec![message("1")]);
        assert_eq!(parser.comments(), 3);
    }

    #[test]
    fn a_comment_alone_dispatches_nothing() {
        assert_eq!(parse(b": keep-alive\n\n"), vec![]);
    }

    #[test]
    fn joins_data_lines_with_lf() {
        assert_eq!(parse(b"data: a\ndata\ndata: b\n\n"), vec![message("a\n\nb")]);
    }

    #[test]
    fn a_field_without_colon_has_an_empty_value() {
        assert_eq!(parse(b"data\n\n"), vec![message("")]);
        assert_eq!(parse(b"data\ndata\n\n"), vec![message("\n")]);
        let mut parser = Parser::new();
        assert_eq!(parser.push(b"id: 5\ndata: a\n\nid\ndata: b\n\n")[1].id.as_deref(), Some(""));
        assert_eq!(parser.last_event_id(), None);
    }

    #[test]
    fn removes_only_one_space_after_the_colon() {
        assert_eq!(parse(b"data:  two\n\n"), vec![message(" two")]);
        assert_eq!(parse(b"data:none\n\n"), vec![message("none")]);
        assert_eq!(parse(b"data:\t tab\n\n"), vec![message("\t tab")]);
    }

    #[test]
    fn the_value_runs_from_the_first_colon() {
        assert_eq!(parse(b"data: a: b:c\n\n"), vec![message("a: b:c")]);
    }

    #[test]
    fn sets_the_event_name_and_the_last_one_wins() {
        assert_eq!(parse(b"event: x\nevent: y\ndata\n\n"), vec![Frame::new("y", "")]);
    }

    #[test]
    fn an_absent_or_empty_event_name_means_message() {
        assert_eq!(parse(b"data: 1\n\nevent:\ndata: 2\n\n"), vec![message("1"), message("2")]);
    }

    #[test]
    fn the_event_name_does_not_carry_over_to_the_next_event() {
        assert_eq!(parse(b"event: x\ndata: 1\n\ndata: 2\n\n"), vec![Frame::new("x", "1"), message("2")]);
    }

    #[test]
    fn field_names_are_case_sensitive_and_unknown_fields_are_ignored() {
        assert_eq!(parse(b"Data: x\nfoo: bar\ndata : y\ndata: z\n\n"), vec![message("z")]);
        assert_eq!(parse(b"foo: bar\n\n"), vec![]);
    }

    #[test]
    fn frame_id_is_the_id_of_its_own_block() {
        let frames = parse(b"id: 1\ndata: a\n\ndata: b\n\n");
        assert_eq!(frames, vec![message("a").with_id("1"), message("b")]);
    }

    #[test]
    fn an_id_containing_nul_is_ignored() {
        let mut parser = Parser::new();
        let frames = parser.push(b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n");
        assert_eq!(frames[1].id, None);
        assert_eq!(parser.last_event_id(), Some("1"));
    }

    #[test]
    fn an_empty_id_resets_the_last_event_id() {
        let mut parser = Parser::new();
        parser.push(b"id: 1\ndata: a\n\n");
        assert_eq!(parser.last_event_id(), Some("1"));
        parser.push(b"id:\ndata: b\n\n");
        assert_eq!(parser.last_event_id(), None);
    }

    #[test]
    fn accepts_only_ascii_digits_for_retry() {
        let mut parser = Parser::new();
        parser.push(b"retry: 1000\n\n");
        assert_eq!(parser.retry(), Some(1000));
        for bad in
            [&b"retry: 1e3\n"[..], b"retry: -5\n", b"retry: 12 \n", b"retry:\n", b"retry\n", b"retry:  7\n"]
        {
            parser.push(bad);
            assert_eq!(parser.retry(), Some(1000), "{:?}", String::from_utf8_lossy(bad));
        }
        parser.push(b"retry: 99999999999999999999999\n");
        assert_eq!(parser.retry(), Some(1000));
        parser.push(b"retry:0\n");
        assert_eq!(parser.retry(), Some(0));
    }

    #[test]
    fn retry_applies_when_its_line_ends_and_rides_on_its_frame() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(b"retry: 5\n"), vec![]);
        assert_eq!(parser.retry(), Some(5));
        assert_eq!(parser.push(b"data: x\n\ndata: y\n\n"), vec![message("x").with_retry(5), message("y")]);
    }

    #[test]
    fn an_event_with_empty_data_buffer_is_not_dispatched_but_its_id_is_kept() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(b"id: 7\nevent: x\n\n"), vec![]);
        assert_eq!(parser.last_event_id(), Some("7"));
        // The event type buffer was reset with the undispatched event.
        assert_eq!(parser.push(b"data: y\n\n"), vec![message("y")]);
    }

    #[test]
    fn a_trailing_partial_event_waits_for_its_blank_line() {
        let mut parser = Parser::new();
        assert_eq!(parser.push(b"id: 9\nevent: x\ndata: 1\n"), vec![]);
        assert_eq!(parser.last_event_id(), None);
        assert_eq!(parser.push(b"data: 2"), vec![]);
        assert_eq!(parser.push(b"\n"), vec![]);
        assert_eq!(parser.push(b"\n"), vec![Frame::new("x", "1\n2").with_id("9")]);
        assert_eq!(parser.last_event_id(), Some("9"));
    }

    #[test]
    fn a_line_split_across_chunks_is_reassembled() {
        let (frames, _) = parse_chunked(&[b"ev", b"ent: a", b"b\nda", b"ta: x", b"y\n", b"\n"]);
        assert_eq!(frames, vec![Frame::new("ab", "xy")]);
    }

    // Parsing: decoding

    #[test]
    fn strips_a_leading_bom() {
        assert_eq!(parse(b"\xEF\xBB\xBFdata: 1\n\n"), vec![message("1")]);
    }

    #[test]
    fn strips_a_leading_bom_split_across_chunks() {
        let (frames, _) = parse_chunked(&[b"\xEF", b"\xBB", b"\xBFdata: 1\n\n"]);
        assert_eq!(frames, vec![message("1")]);
        let (frames, _) = parse_chunked(&[b"", b"\xEF\xBB", b"", b"\xBF", b"data: 1\n\n"]);
        assert_eq!(frames, vec![message("1")]);
    }

    #[test]
    fn strips_only_one_bom_and_only_at_stream_start() {
        // The second BOM makes the field name `\u{FEFF}data`, an unknown field.
        assert_eq!(parse(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: 1\n\n"), vec![]);
        assert_eq!(parse(b"data: 1\n\n\xEF\xBB\xBFdata: 2\n\n"), vec![message("1")]);
        assert_eq!(parse(b"data: \xEF\xBB\xBF1\n\n"), vec![message("\u{FEFF}1")]);
    }

    #[test]
    fn a_partial_bom_at_stream_start_is_content() {
        let (frames, _) = parse_chunked(&[b"\xEF\xBB", b"\ndata: 1\n\n"]);
        assert_eq!(frames, vec![message("1")]);
        let (frames, _) = parse_chunked(&[b"\xEF", b"data: 1\n\n"]);
        assert_eq!(frames, vec![]);
    }

    #[test]
    fn a_utf8_character_split_across_chunks_is_decoded_whole() {
        let bytes = "data: h\u{e9}\u{1F600}\n\n".as_bytes();
        for split in 0..=bytes.len() {
            let (frames, _) = parse_chunked(&[&bytes[..split], &bytes[split..]]);
            assert_eq!(frames, vec![message("h\u{e9}\u{1F600}")], "split at {split}");
        }
    }

    #[test]
    fn invalid_utf8_decodes_to_replacement_characters() {
        assert_eq!(parse(b"data: a\xFFb\xE2\x82\n\n"), vec![message("a\u{FFFD}b\u{FFFD}")]);
        assert_eq!(parse(b"event: \xC0\ndata\n\n"), vec![Frame::new("\u{FFFD}", "")]);
    }

    #[test]
    fn reset_starts_a_new_stream_but_keeps_last_event_id_and_retry() {
        let mut parser = Parser::new();
        parser.push(b"retry: 10\nid: 3\ndata: a\n\nid: 4\ndata: cut off");
        parser.reset();
        assert_eq!((parser.last_event_id(), parser.retry()), (Some("3"), Some(10)));
        assert_eq!(parser.push(b"\xEF\xBB\xBFdata: b\n\n"), vec![message("b")]);
    }

    #[test]
    fn push_with_hands_over_frames_in_order() {
        let mut seen = Vec::new();
        Parser::new().push_with(b"data: 1\n\ndata: 2\n\n", |frame| seen.push(frame.data));
        assert_eq!(seen, ["1", "2"]);
    }

    /// A stream exercising every rule, for the split-everywhere tests.
    const TRICKY: &[u8] = b"\xEF\xBB\xBFretry: 250\r\n: comment\rid: 1\r\nevent: caf\xC3\xA9\ndata:  x\r\
data\rdata: \xF0\x9F\x98\x80\xFF\r\n\rid: 2\0\nfoo\nevent: e\n\n\r\nid: 3\ndata: y\r\r\ndata: partial";

    #[test]
    fn tricky_stream_parses_as_specified() {
        let mut parser = Parser::new();
        let frames = parser.push(TRICKY);
        let first = Frame::new("caf\u{e9}", " x\n\n\u{1F600}\u{FFFD}").with_id("1").with_retry(250);
        assert_eq!(frames, vec![first, message("y").with_id("3")]);
        assert_eq!((parser.last_event_id(), parser.retry(), parser.comments()), (Some("3"), Some(250), 1));
    }

    #[test]
    fn splitting_a_stream_at_any_byte_gives_the_same_frames() {
        let whole = parse(TRICKY);
        for split in 0..=TRICKY.len() {
            let (frames, parser) = parse_chunked(&[&TRICKY[..split], &TRICKY[split..]]);
            assert_eq!(frames, whole, "split at {split}");
            assert_eq!(parser.last_event_id(), Some("3"));
        }
    }

    #[test]
    fn feeding_a_stream_byte_by_byte_gives_the_same_frames() {
        let chunks: Vec<&[u8]> = TRICKY.chunks(1).collect();
        assert_eq!(parse_chunked(&chunks).0, parse(TRICKY));
    }

    #[test]
    fn the_player_fields_travel_with_their_frame_and_no_further() {
        let frame = Frame::new("cloudevent", "{}")
            .with_id("1-0")
            .with_warnings("source-absolute type-prefix")
            .with_delivery(Some("503 attempt 3".into()));
        let text = frame.encode();
        assert_eq!(
            text,
            "id: 1-0\nevent: cloudevent\nwarnings: source-absolute type-prefix\ndelivery: 503 attempt 3\ndata: {}\n\n"
        );
        let next = Frame::new("cloudevent", "{}").with_id("2-0");
        let parsed = parse(format!("{text}{}", next.encode()).as_bytes());
        assert_eq!(parsed, [frame, next]);
        assert_eq!(Frame::new("cloudevent", "{}").with_warnings("").warnings, None);
    }

    #[test]
    fn encoded_frames_survive_every_split_point() {
        let frames = [
            Frame::default().with_retry(3000),
            Frame::new("\u{e9}v", "a\nb\n\u{1F600}").with_id("1-0"),
            message(""),
        ];
        let bytes: String = frames.iter().map(Frame::encode).collect();
        let expected = frames[1..].to_vec();
        for split in 0..=bytes.len() {
            let (parsed, _) = parse_chunked(&[&bytes.as_bytes()[..split], &bytes.as_bytes()[split..]]);
            assert_eq!(parsed, expected, "split at {split}");
        }
    }

    // Properties

    /// A name or id as a server may send it: no CR, LF or NUL.
    fn field_value() -> impl Strategy<Value = String> {
        "[^\r\n\0]{0,12}"
    }

    fn frame() -> impl Strategy<Value = Frame> {
        let data = any::<String>().prop_map(|d| d.replace("\r\n", "\n").replace('\r', "\n"));
        let event = proptest::option::of(field_value().prop_filter("empty means message", |e| !e.is_empty()));
        let (id, warnings) = (proptest::option::of(field_value()), proptest::option::of(field_value()));
        let delivery = proptest::option::of(field_value());
        (event, data, id, proptest::option::of(any::<u64>()), warnings, delivery).prop_map(
            |(event, data, id, retry, warnings, delivery)| Frame {
                event,
                data,
                id,
                retry,
                warnings,
                delivery,
            },
        )
    }

    /// Splits `bytes` at the given points (taken modulo its length).
    fn chunks(bytes: &[u8], points: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut start = 0;
        let mut out = Vec::new();
        for cut in cuts.into_iter().chain([bytes.len()]) {
            out.push(bytes[start..cut].to_vec());
            start = cut;
        }
        out
    }

    /// Parses the chunks; returns the frames and the parser's final state.
    fn run(chunks: &[Vec<u8>]) -> (Vec<Frame>, Option<String>, Option<u64>, u64) {
        let mut parser = Parser::new();
        let frames = chunks.iter().flat_map(|chunk| parser.push(chunk)).collect();
        (frames, parser.last_event_id().map(str::to_owned), parser.retry(), parser.comments())
    }

    /// A syntactically varied stream: fields, comments, blank lines, BOMs, with mixed line ends.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            Just(Vec::new()),
            "(data|event|id|retry|:|foo)(:? ?)[^\r\n]{0,8}".prop_map(String::into_bytes),
            "retry: [0-9]{1,5}".prop_map(String::into_bytes),
            Just(b"id: a\0b".to_vec()),
            Just(b"\xEF\xBB\xBFdata: x".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ];
        let ending = prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])];
        (any::<bool>(), proptest::collection::vec((line, ending), 0..24)).prop_map(|(bom, lines)| {
            let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
            for (line, ending) in lines {
                bytes.extend(line);
                bytes.extend_from_slice(ending);
            }
            bytes
        })
    }

    proptest! {
        #[test]
        fn parse_of_encode_returns_the_frames_under_any_chunking(
            frames in proptest::collection::vec(frame(), 0..8),
            points in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let bytes: String = frames.iter().map(Frame::encode).collect();
            let retry_only = |f: &&Frame| {
                f.retry.is_some() && f.id.is_none() && f.event.is_none() && f.data.is_empty()
                    && f.warnings.is_none()
                    && f.delivery.is_none()
            };
            let expected: Vec<Frame> = frames.iter().filter(|f| !retry_only(f)).cloned().collect();
            let (parsed, last_id, retry, _) = run(&chunks(bytes.as_bytes(), &points));
            prop_assert_eq!(parsed, expected);
            let expected_id = frames.iter().rev().find_map(|f| f.id.as_deref()).filter(|id| !id.is_empty());
            prop_assert_eq!(last_id.as_deref(), expected_id);
            prop_assert_eq!(retry, frames.iter().rev().find_map(|f| f.retry));
        }

        #[test]
        fn parse_of_encode_returns_the_frames_split_at_every_byte(frames in proptest::collection::vec(frame(), 1..4)) {
            let bytes: String = frames.iter().map(Frame::encode).collect();
            let whole = run(&[bytes.as_bytes().to_vec()]);
            for split in 0..=bytes.len() {
                prop_assert_eq!(&run(&chunks(bytes.as_bytes(), &[split])), &whole);
            }
        }

        #[test]
        fn any_stream_parses_the_same_split_at_every_byte(bytes in stream()) {
            let whole = run(std::slice::from_ref(&bytes));
            for split in 0..=bytes.len() {
                prop_assert_eq!(&run(&chunks(&bytes, &[split])), &whole, "split at {}", split);
            }
            let singles: Vec<Vec<u8>> = bytes.chunks(1).map(<[u8]>::to_vec).collect();
            prop_assert_eq!(&run(&singles), &whole);
        }

        #[test]
        fn arbitrary_bytes_parse_the_same_under_any_chunking(
            bom in any::<bool>(),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            points in proptest::collection::vec(any::<usize>(), 0..16),
        ) {
            let bytes = if bom { [&BOM[..], &body].concat() } else { body };
            prop_assert_eq!(run(&chunks(&bytes, &points)), run(&[bytes]));
        }
    }
}
