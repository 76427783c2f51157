//! Just enough of the SSE wire format to get each event's data: the player sends
//! `event: cloudevent` frames whose data is the event, the bare server `data:` frames whose data is
//! the posted body; both carry the load generator's `"seq"` and `"sent_us"`.

/// Splits a byte stream into SSE events and hands over each event's data (its `data:` lines
/// joined by `\n`). Other fields and comments are skipped; chunks may cut lines anywhere.
#[derive(Default)]
pub struct SseReader {
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
}

impl SseReader {
    pub fn push(&mut self, chunk: &[u8], mut on_data: impl FnMut(&[u8])) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if self.line.is_empty() {
                if self.has_data {
                    on_data(&self.data);
                }
                self.data.clear();
                self.has_data = false;
            } else if let Some(value) = self.line.strip_prefix(b"data:") {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value.strip_prefix(b" ").unwrap_or(value));
                self.has_data = true;
            }
            self.line.clear();
        }
        self.line.extend_from_slice(rest);
    }
}

/// The unsigned integer after `"key":` in JSON text, without parsing the rest: the player wraps
/// the posted data in the event, the bare server does not, and the key is found in both.
pub fn find_u64(text: &[u8], key: &str) -> Option<u64> {
    let pattern = format!("\"{key}\"");
    let pattern = pattern.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].windows(pattern.len()).position(|w| w == pattern) {
        let after = &text[from + at + pattern.len()..];
        let after = trim_start(after);
        if let Some(value) = after.strip_prefix(b":") {
            let value = trim_start(value);
            let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 {
                return std::str::from_utf8(&value[..digits]).ok()?.parse().ok();
            }
        }
        from += at + 1;
    }
    None
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<String> {
        let mut reader = SseReader::default();
        let mut out = Vec::new();
        for chunk in chunks {
            reader.push(chunk, |d| out.push(String::from_utf8(d.to_vec()).unwrap()));
        }
        out
    }

    #[test]
    fn data_of_bare_and_player_frames() {
        let got = events(&[
            b"data: {\"seq\":1}\n\n",
            b"event: cloudevent\nid: 7\ndata: {\"data\":{\"seq\":2}}\n\n",
            b": comment\nevent: ping\n\n",
        ]);
        assert_eq!(got, ["{\"seq\":1}", "{\"data\":{\"seq\":2}}"]);
    }

    #[test]
    fn frames_cut_anywhere_and_crlf() {
        let got = events(&[b"da", b"ta: a\r", b"\ndata:b\r\n", b"\r", b"\ndata: c\n"]);
        assert_eq!(got, ["a\nb"], "the unfinished third event is not handed over");
    }

    #[test]
    fn finds_numbers_by_key() {
        let text = br#"{"id":"x","data":{"bench_id":"sent_us","seq": 42,"sent_us" : 1700000000123456}}"#;
        assert_eq!(find_u64(text, "seq"), Some(42));
        assert_eq!(find_u64(text, "sent_us"), Some(1_700_000_000_123_456));
        assert_eq!(find_u64(text, "missing"), None);
        assert_eq!(find_u64(br#"{"seq":"7"}"#, "seq"), None, "a string is not a number");
        assert_eq!(find_u64(br#"{"seq":"#, "seq"), None);
    }
}
