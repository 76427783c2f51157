//! "Copy as curl": a POSIX shell command that posts an event again, in binary or structured mode
//! (CloudEvents HTTP binding §3.1 and §3.2). Every value is single-quoted, so nothing is expanded.

use crate::core::cloudevent::{CloudEvent, Mode, to_binary};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Quotes `value` for a POSIX shell: `'…'`, with each `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A curl command posting `event` to `url`. `Mode::Binary` sends `ce-*` headers and the data as
/// the body (piped through `base64 -d` when it is not UTF-8 text, since a shell argument cannot
/// hold every byte); any other mode sends the event as `application/cloudevents+json`.
pub fn to_curl(event: &CloudEvent, mode: Mode, url: &str) -> String {
    let mut lines = Vec::new();
    let mut prefix = String::new();
    let body_arg = match mode {
        Mode::Binary => {
            let (headers, body) = to_binary(event);
            for (name, value) in headers {
                lines.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
            }
            match String::from_utf8(body) {
                Ok(text) if text.is_empty() => None,
                Ok(text) if !text.contains('\0') => Some(format!("--data-binary {}", shell_quote(&text))),
                Ok(text) => {
                    prefix = format!("printf %s {} | base64 -d | ", shell_quote(&STANDARD.encode(text)));
                    Some("--data-binary @-".to_owned())
                }
                Err(bytes) => {
                    prefix = format!(
                        "printf %s {} | base64 -d | ",
                        shell_quote(&STANDARD.encode(bytes.into_bytes()))
                    );
                    Some("--data-binary @-".to_owned())
                }
            }
        }
        Mode::Structured | Mode::Batch => {
            lines.push(format!("-H {}", shell_quote("content-type: application/cloudevents+json")));
            Some(format!("--data-binary {}", shell_quote(&event.to_json())))
        }
    };
    lines.extend(body_arg);
    let mut command = format!("{prefix}curl -sS -X POST {}", shell_quote(url));
    for line in lines {
        command.push_str(" \\\n  ");
        command.push_str(&line);
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::{decode, decode_structured};
    use proptest::prelude::*;

    /// Splits a command the way a POSIX shell does for our output: single quotes, `\` + newline
    /// continuations, whitespace between words.
    fn shell_words(command: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut chars = command.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    let w = word.get_or_insert_with(String::new);
                    for q in chars.by_ref() {
                        if q == '\'' {
                            break;
                        }
                        w.push(q);
                    }
                }
                '\\' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    word.get_or_insert_with(String::new).push('\'');
                }
                '\\' if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                c if c.is_whitespace() => words.extend(word.take()),
                c => word.get_or_insert_with(String::new).push(c),
            }
        }
        words.extend(word);
        words
    }

    /// Replays a command produced by [`to_curl`]: headers and body as curl would send them.
    fn replay(command: &str) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
        let words = shell_words(command);
        let mut piped = None;
        if words[0] == "printf" {
            piped = Some(STANDARD.decode(&words[2]).unwrap());
        }
        let start = words.iter().position(|w| w == "curl").unwrap();
        let mut headers = Vec::new();
        let mut body = Vec::new();
        let mut rest = words[start..].iter();
        while let Some(word) = rest.next() {
            match word.as_str() {
                "-H" => {
                    let (name, value) = rest.next().unwrap().split_once(": ").unwrap();
                    headers.push((name.to_owned(), value.as_bytes().to_vec()));
                }
                "--data-binary" => {
                    let arg = rest.next().unwrap();
                    body = if arg == "@-" { piped.clone().unwrap() } else { arg.as_bytes().to_vec() };
                }
                _ => {}
            }
        }
        (headers, body)
    }

    fn event(json: &str) -> CloudEvent {
        decode_structured(json.as_bytes()).unwrap().event
    }

    fn round_trip(original: &CloudEvent, mode: Mode) -> CloudEvent {
        let (headers, body) = replay(&to_curl(original, mode, "http://127.0.0.1:8080/"));
        let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        decode(&pairs, &body, &Default::default()).unwrap().1.remove(0).event
    }

    #[test]
    fn big_numbers_and_0_3_names_survive_both_modes() {
        let big = event(
            r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":{"n":123456789012345678901234567890,"b":1,"a":2}}"#,
        );
        let legacy = event(
            r#"{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://example.com/s","datacontenttype":"image/png","datacontentencoding":"base64","data":"AAEC"}"#,
        );
        for original in [big, legacy] {
            for mode in [Mode::Binary, Mode::Structured] {
                let back = round_trip(&original, mode);
                assert_eq!(back.to_json(), original.to_json(), "{mode:?}");
            }
        }
    }

    #[test]
    fn quotes_single_quotes_so_nothing_is_expanded() {
        assert_eq!(shell_quote("it's $HOME"), r#"'it'\''s $HOME'"#);
        assert_eq!(shell_words(&shell_quote("a'b c")), vec!["a'b c"]);
    }

    #[test]
    fn binary_command_posts_an_equal_event() {
        let original = event(
            r#"{"specversion":"1.0","id":"o'1","source":"/shop","type":"com.example.order","subject":"€ 5",
                "datacontenttype":"application/json","data":{"quote":"it's"}}"#,
        );
        let command = to_curl(&original, Mode::Binary, "http://127.0.0.1:8080/");
        assert!(command.starts_with("curl -sS -X POST 'http://127.0.0.1:8080/'"), "{command}");
        assert!(command.contains("-H 'ce-specversion: 1.0'"), "{command}");
        assert_eq!(round_trip(&original, Mode::Binary), original);
    }

    #[test]
    fn structured_command_posts_an_equal_event() {
        let original = event(r#"{"specversion":"1.0","id":"2","source":"/s","type":"t.x","data":"text"}"#);
        let command = to_curl(&original, Mode::Structured, "http://h/events");
        assert!(command.contains("application/cloudevents+json"), "{command}");
        assert_eq!(round_trip(&original, Mode::Structured), original);
    }

    #[test]
    fn bytes_that_are_not_text_go_through_base64() {
        let original = event(
            r#"{"specversion":"1.0","id":"3","source":"/s","type":"t.x","datacontenttype":"application/octet-stream","data_base64":"/wABAg=="}"#,
        );
        let command = to_curl(&original, Mode::Binary, "http://h/");
        assert!(command.starts_with("printf %s '/wABAg==' | base64 -d | curl"), "{command}");
        assert_eq!(round_trip(&original, Mode::Binary), original);
    }

    proptest! {
        #[test]
        fn any_text_survives_quoting(text in "\\PC*") {
            prop_assert_eq!(shell_words(&shell_quote(&text)), vec![text]);
        }

        #[test]
        fn both_modes_reproduce_the_event(
            id in "[a-zA-Z0-9'\" %$!-]{1,20}",
            subject in "[^\\p{Cc}]{1,20}",
            data in "[^\\p{Cc}]{0,40}",
        ) {
            let validated = CloudEvent::from_value(serde_json::json!({
                "specversion": "1.0", "id": id, "source": "/p", "type": "com.example.p",
                "subject": subject, "datacontenttype": "application/json", "data": {"text": data},
            }));
            // Unicode noncharacters are refused by validation; only valid events matter here.
            prop_assume!(validated.is_ok());
            let original = validated.unwrap().event;
            prop_assert_eq!(&round_trip(&original, Mode::Binary), &original);
            prop_assert_eq!(&round_trip(&original, Mode::Structured), &original);
        }
    }
}
