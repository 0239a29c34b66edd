#![no_main]
//! Fuzzes the two parsers that see untrusted bytes: `Envelope::parse` and
//! the pure EOCD/comment parser `artifact::parse_tail` that `inspect` uses.

use lambdasign::domain::artifact::{parse_tail, tail_len};
use lambdasign::domain::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::parse(data) {
        // Strict parsing means one encoding per envelope.
        assert_eq!(envelope.encode().expect("re-encode"), data);
    }

    // The input as a whole file...
    let len = data.len() as u64;
    let tail = &data[data.len() - tail_len(len)..];
    if let Ok(t) = parse_tail(tail, len) {
        assert!(t.content_len + 2 + u64::from(t.comment_len) == len);
    }
    // ...and as the tail of a larger file whose length the first 8 bytes give.
    if data.len() >= 8 {
        let mut n = [0u8; 8];
        n.copy_from_slice(&data[..8]);
        let _ = parse_tail(&data[8..], u64::from_le_bytes(n));
    }
});
