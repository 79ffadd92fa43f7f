//! Follows message boundaries in one direction of a PostgreSQL connection
//! while the bytes are forwarded as they come, so large rows stream through
//! without being held whole.

use std::io;

/// Largest message body kept for inspection (ReadyForQuery, ParameterStatus).
pub(crate) const MAX_KEPT_BODY: usize = 64 * 1024;

/// What the framer reports while walking bytes.
pub(crate) enum Event<'a> {
    /// A message with this tag starts here.
    Start(u8),
    /// A message whose tag was asked for is complete: its tag and body.
    Complete(u8, &'a [u8]),
}

/// Position inside the stream of tagged messages.
#[derive(Default)]
pub(crate) struct Framer {
    head: [u8; 5],
    head_len: usize,
    left: usize,
    body: Option<Vec<u8>>,
}

impl Framer {
    /// True between messages: nothing of a message has been walked without its end.
    pub(crate) fn at_boundary(&self) -> bool {
        self.head_len == 0
    }

    /// Walks `data`. `f` sees every message start and the complete body of
    /// messages whose tag `keep` accepts; `f` returning `false` at a start
    /// stops there. Returns how many bytes were walked (all of `data` unless
    /// stopped).
    pub(crate) fn walk(
        &mut self,
        data: &[u8],
        keep: impl Fn(u8) -> bool,
        mut f: impl FnMut(Event<'_>) -> bool,
    ) -> io::Result<usize> {
        let mut i = 0;
        while i < data.len() {
            if self.head_len < 5 {
                if self.head_len == 0 && !f(Event::Start(data[i])) {
                    return Ok(i);
                }
                let n = (5 - self.head_len).min(data.len() - i);
                self.head[self.head_len..self.head_len + n].copy_from_slice(&data[i..i + n]);
                self.head_len += n;
                i += n;
                if self.head_len < 5 {
                    continue;
                }
                let len = i32::from_be_bytes(self.head[1..].try_into().expect("4 bytes"));
                if len < 4 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "PostgreSQL message with a length below 4",
                    ));
                }
                self.left = len as usize - 4;
                let tag = self.head[0];
                self.body = if keep(tag) {
                    if self.left > MAX_KEPT_BODY {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("oversized '{}' message", tag as char),
                        ));
                    }
                    Some(Vec::with_capacity(self.left))
                } else {
                    None
                };
            } else {
                let n = self.left.min(data.len() - i);
                if let Some(body) = &mut self.body {
                    body.extend_from_slice(&data[i..i + n]);
                }
                self.left -= n;
                i += n;
            }
            if self.left == 0 {
                if let Some(body) = self.body.take() {
                    f(Event::Complete(self.head[0], &body));
                }
                self.head_len = 0;
            }
        }
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn finds_boundaries_across_any_split() {
        let mut stream = msg(b'D', &[7; 300]);
        stream.extend(msg(b'Z', b"T"));
        stream.extend(msg(b'C', b"SELECT 1\0"));
        for split in 0..stream.len() {
            let mut framer = Framer::default();
            let mut starts = Vec::new();
            let mut kept = Vec::new();
            for part in [&stream[..split], &stream[split..]] {
                let walked = framer
                    .walk(
                        part,
                        |t| t == b'Z',
                        |e| {
                            match e {
                                Event::Start(t) => starts.push(t),
                                Event::Complete(t, b) => kept.push((t, b.to_vec())),
                            }
                            true
                        },
                    )
                    .unwrap();
                assert_eq!(walked, part.len());
            }
            assert_eq!(starts, b"DZC");
            assert_eq!(kept, [(b'Z', b"T".to_vec())]);
            assert!(framer.at_boundary());
        }
    }

    #[test]
    fn stops_at_a_refused_start() {
        let mut stream = msg(b'Q', b"SELECT 1\0");
        let terminate_at = stream.len();
        stream.extend(msg(b'X', b""));
        let mut framer = Framer::default();
        let walked = framer
            .walk(&stream, |_| false, |e| !matches!(e, Event::Start(b'X')))
            .unwrap();
        assert_eq!(walked, terminate_at);
        assert!(framer.at_boundary());
    }

    #[test]
    fn mid_message_is_not_a_boundary_and_bad_lengths_fail() {
        let mut framer = Framer::default();
        framer
            .walk(&msg(b'D', &[1; 10])[..8], |_| false, |_| true)
            .unwrap();
        assert!(!framer.at_boundary());
        let mut framer = Framer::default();
        assert!(framer
            .walk(&[b'D', 0, 0, 0, 2], |_| false, |_| true)
            .is_err());
    }
}
