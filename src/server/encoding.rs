//! `Content-Encoding` of ingest bodies (DESIGN §2): gzip, deflate, br and zstd are decoded with
//! the body limit applied to the decoded size, so no compression bomb gets past it.

use std::io::Read;

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// 415: a coding the player does not decode.
    #[error("unsupported Content-Encoding `{0}`; use gzip, deflate, br, zstd or identity")]
    Unsupported(String),
    /// 413: the decoded body is larger than the limit.
    #[error("the decoded request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// 400: the body is not valid data of its coding.
    #[error("the request body is not valid {coding} data: {reason}")]
    Corrupt { coding: &'static str, reason: String },
}

/// One content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    fn parse(token: &str) -> Result<Self, EncodingError> {
        Ok(match token.to_ascii_lowercase().as_str() {
            "identity" => Self::Identity,
            "gzip" | "x-gzip" => Self::Gzip,
            "deflate" => Self::Deflate,
            "br" => Self::Brotli,
            "zstd" => Self::Zstd,
            _ => return Err(EncodingError::Unsupported(token.to_owned())),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }
}

/// The body as sent, given the `Content-Encoding` header values (`None` when absent). Codings
/// listed in one or several headers were applied in order, so they are undone last first.
/// `Ok(None)` means the body is not encoded and can be used as it is.
pub fn decode<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    body: &[u8],
    limit: usize,
) -> Result<Option<Vec<u8>>, EncodingError> {
    let mut codings = Vec::new();
    for value in headers {
        for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let coding = Coding::parse(token)?;
            if coding != Coding::Identity {
                codings.push(coding);
            }
        }
    }
    let mut decoded: Option<Vec<u8>> = None;
    for coding in codings.into_iter().rev() {
        let input = decoded.as_deref().unwrap_or(body);
        decoded = Some(decode_one(coding, input, limit)?);
    }
    Ok(decoded)
}

fn decode_one(coding: Coding, input: &[u8], limit: usize) -> Result<Vec<u8>, EncodingError> {
    let corrupt = |e: std::io::Error| EncodingError::Corrupt { coding: coding.name(), reason: e.to_string() };
    let reader: Box<dyn Read + '_> = match coding {
        Coding::Identity => Box::new(input),
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        // RFC 9110: "deflate" is zlib-wrapped; raw deflate is accepted too, as browsers do.
        Coding::Deflate if looks_like_zlib(input) => Box::new(flate2::read::ZlibDecoder::new(input)),
        Coding::Deflate => Box::new(flate2::read::DeflateDecoder::new(input)),
        Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(input, 4096)),
        Coding::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(input)
                .map_err(|e| EncodingError::Corrupt { coding: coding.name(), reason: e.to_string() })?,
        ),
    };
    // Read one byte past the limit: its presence is what tells "too large" apart from "exactly it".
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).min(limit.saturating_add(1)));
    reader.take(limit as u64 + 1).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() > limit {
        return Err(EncodingError::TooLarge { limit });
    }
    Ok(out)
}

/// A zlib header: compression method 8 and a header checksum that divides by 31.
fn looks_like_zlib(input: &[u8]) -> bool {
    matches!(input, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut encoder = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
        encoder.write_all(data).unwrap();
        encoder.into_inner()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    #[test]
    fn no_coding_or_identity_leaves_the_body_alone() {
        assert_eq!(decode([], b"abc", 10), Ok(None));
        assert_eq!(decode(["identity"], b"abc", 10), Ok(None));
    }

    #[test]
    fn decodes_gzip_and_deflate_in_both_wrappings() {
        assert_eq!(decode(["gzip"], &gzip(b"hello"), 100), Ok(Some(b"hello".to_vec())));
        assert_eq!(decode(["GZIP"], &gzip(b"hello"), 100), Ok(Some(b"hello".to_vec())));
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"zlib").unwrap();
        assert_eq!(decode(["deflate"], &zlib.finish().unwrap(), 100), Ok(Some(b"zlib".to_vec())));
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(b"raw").unwrap();
        assert_eq!(decode(["deflate"], &raw.finish().unwrap(), 100), Ok(Some(b"raw".to_vec())));
    }

    #[test]
    fn decodes_br_and_zstd() {
        let text = br#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"hello hello hello"}"#;
        let br = brotli(text);
        assert_ne!(br.as_slice(), &text[..], "the body is really encoded");
        assert_eq!(decode(["br"], &br, 1000), Ok(Some(text.to_vec())));
        assert_eq!(decode(["BR"], &br, 1000), Ok(Some(text.to_vec())));
        let zst = zstd(text);
        assert_ne!(zst.as_slice(), &text[..], "the body is really encoded");
        assert_eq!(decode(["zstd"], &zst, 1000), Ok(Some(text.to_vec())));
        assert_eq!(decode(["zstd, br"], &brotli(&zst), 1000), Ok(Some(text.to_vec())));
        assert_eq!(decode(["br", "identity", "zstd"], &zstd(&br), 1000), Ok(Some(text.to_vec())));
    }

    #[test]
    fn the_limit_applies_to_decoded_br_and_zstd_too() {
        let large = vec![b'a'; 1_000_000];
        let br = brotli(&large);
        let zst = zstd(&large);
        assert!(br.len() < 10_000 && zst.len() < 100_000, "{} and {} bytes", br.len(), zst.len());
        assert_eq!(decode(["br"], &br, 1024), Err(EncodingError::TooLarge { limit: 1024 }));
        assert_eq!(decode(["zstd"], &zst, 1024), Err(EncodingError::TooLarge { limit: 1024 }));
        assert_eq!(decode(["br"], &brotli(&large[..1024]), 1024).unwrap().unwrap().len(), 1024);
        assert_eq!(decode(["zstd"], &zstd(&large[..1024]), 1024).unwrap().unwrap().len(), 1024);
    }

    #[test]
    fn undoes_several_codings_last_first() {
        let twice = gzip(&gzip(b"inner"));
        assert_eq!(decode(["gzip, gzip"], &twice, 100), Ok(Some(b"inner".to_vec())));
        assert_eq!(decode(["gzip", "gzip"], &twice, 100), Ok(Some(b"inner".to_vec())));
    }

    #[test]
    fn the_limit_applies_to_the_decoded_size() {
        let bomb = gzip(&vec![b'a'; 10_000_000]);
        assert!(bomb.len() < 20_000, "a small body that expands a lot");
        assert_eq!(decode(["gzip"], &bomb, 1024), Err(EncodingError::TooLarge { limit: 1024 }));
        assert_eq!(decode(["gzip"], &gzip(&[b'a'; 1024]), 1024).unwrap().unwrap().len(), 1024);
    }

    #[test]
    fn unknown_codings_and_corrupt_data_are_errors() {
        assert_eq!(decode(["compress"], b"x", 10), Err(EncodingError::Unsupported("compress".into())));
        assert!(matches!(
            decode(["gzip"], b"not gzip", 10),
            Err(EncodingError::Corrupt { coding: "gzip", .. })
        ));
        assert!(matches!(
            decode(["zstd"], b"not zstd", 10),
            Err(EncodingError::Corrupt { coding: "zstd", .. })
        ));
        assert!(matches!(
            decode(["br"], b"\xff\xff\xff", 10),
            Err(EncodingError::Corrupt { coding: "br", .. })
        ));
    }
}
