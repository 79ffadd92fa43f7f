//! Cloudflare's limits on queue messages, and the messages its queue broker
//! answers with when one is broken.

/// Largest message body in bytes (128 KB, as Cloudflare counts it).
pub const MAX_MESSAGE_BYTES: usize = 128_000;
/// Most messages in one `sendBatch()`.
pub const MAX_BATCH_MESSAGES: usize = 100;
/// Largest `sendBatch()` in bytes (all bodies together).
pub const MAX_BATCH_BYTES: usize = 256_000;
/// Longest delay of a message or a retry, in seconds (12 hours).
pub const MAX_DELAY_SECONDS: u32 = 43_200;
/// Largest `max_batch_size` of a consumer.
pub const MAX_BATCH_SIZE: u32 = 100;

/// Why one message cannot be sent, or `None`.
pub fn check_message(body_len: usize) -> Option<String> {
    (body_len > MAX_MESSAGE_BYTES)
        .then(|| format!("message length of {body_len} bytes exceeds limit of {MAX_MESSAGE_BYTES}"))
}

/// Why a batch of messages with these body sizes cannot be sent, or `None`.
pub fn check_batch(body_lens: &[usize]) -> Option<String> {
    if body_lens.len() > MAX_BATCH_MESSAGES {
        return Some(format!(
            "batch message count of {} exceeds limit of {MAX_BATCH_MESSAGES}",
            body_lens.len()
        ));
    }
    let largest = body_lens.iter().copied().max().unwrap_or(0);
    if largest > MAX_MESSAGE_BYTES {
        return Some(format!(
            "message in batch has length {largest} bytes which exceeds single message size limit of {MAX_MESSAGE_BYTES}"
        ));
    }
    let total: usize = body_lens.iter().sum();
    (total > MAX_BATCH_BYTES)
        .then(|| format!("batch size of {total} bytes exceeds limit of {MAX_BATCH_BYTES}"))
}

/// Why a delay is refused, or `None`.
pub fn check_delay(seconds: f64) -> Option<String> {
    let valid = seconds.is_finite() && (0.0..=MAX_DELAY_SECONDS as f64).contains(&seconds);
    (!valid).then(|| {
        format!("message delay {seconds} is invalid: delaySeconds must be a number of seconds from 0 to {MAX_DELAY_SECONDS}")
    })
}
