//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus (`tests/tests/fuzz_corpus.rs`),
//! so both run the same code.

use crate::framer::{Event, Framer, MAX_KEPT_BODY};

/// Walks `data[1..]` as a stream of PostgreSQL messages arriving in chunks of
/// `data[0]` bytes (at least 1), keeping ReadyForQuery and ParameterStatus
/// bodies as the relay does, and stopping at a Terminate as it does.
pub fn pg_framer(data: &[u8]) {
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    let mut framer = Framer::default();
    for chunk in stream.chunks(usize::from(size.max(1))) {
        let mut stopped = false;
        let walked = framer.walk(
            chunk,
            |tag| tag == b'Z' || tag == b'S',
            |event| match event {
                Event::Start(b'X') => {
                    stopped = true;
                    false
                }
                Event::Start(_) => true,
                Event::Complete(tag, body) => {
                    assert!(tag == b'Z' || tag == b'S', "a body that was not kept");
                    assert!(body.len() <= MAX_KEPT_BODY, "an oversized kept body");
                    true
                }
            },
        );
        let Ok(walked) = walked else { return };
        assert!(walked <= chunk.len(), "walked past the data");
        if stopped {
            assert!(framer.at_boundary(), "stopped inside a message");
            return;
        }
        assert_eq!(walked, chunk.len(), "stopped without being asked");
    }
}
