//! R2's errors: a numeric code and Cloudflare's message. The binding prefixes
//! the method (`put: ... (10012)`), as Cloudflare's Workers API does.

/// An R2 error as Cloudflare reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct R2Error {
    /// R2's numeric error code (e.g. 10012).
    pub code: u32,
    /// The S3 name of the error (e.g. `MetadataTooLarge`), for the S3 API.
    pub s3_code: &'static str,
    /// The HTTP status the S3 API answers with.
    pub status: u16,
    /// Cloudflare's message.
    pub message: String,
}

impl R2Error {
    fn new(code: u32, s3_code: &'static str, status: u16, message: &str) -> R2Error {
        R2Error {
            code,
            s3_code,
            status,
            message: message.to_string(),
        }
    }

    /// 10001: a failure of the store itself (I/O, SQLite).
    pub fn internal(detail: impl std::fmt::Display) -> R2Error {
        R2Error::new(
            10001,
            "InternalError",
            500,
            &format!("We encountered an internal error. Please try again. ({detail})"),
        )
    }

    /// 10005: a bucket name R2 refuses.
    pub fn invalid_bucket_name() -> R2Error {
        R2Error::new(
            10005,
            "InvalidBucketName",
            400,
            "The specified bucket name is not valid.",
        )
    }

    /// 10006: no such bucket.
    pub fn no_such_bucket() -> R2Error {
        R2Error::new(
            10006,
            "NoSuchBucket",
            404,
            "The specified bucket does not exist.",
        )
    }

    /// 10007: no such key.
    pub fn no_such_key() -> R2Error {
        R2Error::new(10007, "NoSuchKey", 404, "The specified key does not exist.")
    }

    /// 10008: deleting a bucket that still has objects.
    pub fn bucket_not_empty() -> R2Error {
        R2Error::new(
            10008,
            "BucketNotEmpty",
            409,
            "The bucket you tried to delete is not empty.",
        )
    }

    /// 10011: a multipart part (other than the last) under 5 MiB.
    pub fn entity_too_small() -> R2Error {
        R2Error::new(
            10011,
            "EntityTooSmall",
            400,
            "Your proposed upload is smaller than the minimum allowed object size.",
        )
    }

    /// 10012: custom metadata over 2 KiB.
    pub fn metadata_too_large() -> R2Error {
        R2Error::new(
            10012,
            "MetadataTooLarge",
            400,
            "Your metadata headers exceed the maximum allowed metadata size.",
        )
    }

    /// 100100: a body over the size limit.
    pub fn entity_too_large() -> R2Error {
        R2Error::new(
            100100,
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed object size.",
        )
    }

    /// 10020: a key R2 refuses (over 1,024 bytes).
    pub fn invalid_object_name() -> R2Error {
        R2Error::new(
            10020,
            "InvalidObjectName",
            400,
            "The specified object name is not valid.",
        )
    }

    /// 10022: `limit` out of 1..=1000.
    pub fn invalid_max_keys() -> R2Error {
        R2Error::new(
            10022,
            "InvalidMaxKeys",
            400,
            "MaxKeys params must be positive integer <= 1000.",
        )
    }

    /// 10024: an unknown (or finished) multipart upload.
    pub fn no_such_upload() -> R2Error {
        R2Error::new(
            10024,
            "NoSuchUpload",
            404,
            "The specified multipart upload does not exist.",
        )
    }

    /// 10025: a part named at completion that was not uploaded (or whose etag differs).
    pub fn invalid_part() -> R2Error {
        R2Error::new(
            10025,
            "InvalidPart",
            400,
            "One or more of the specified parts could not be found.",
        )
    }

    /// 10029: an argument R2 refuses, with what was wrong.
    pub fn invalid_argument(detail: &str) -> R2Error {
        R2Error::new(
            10029,
            "InvalidArgument",
            400,
            &format!("Invalid Argument: {detail}"),
        )
    }

    /// 10031: an `onlyIf` condition did not hold (S3 API; the binding returns null).
    pub fn precondition_failed() -> R2Error {
        R2Error::new(
            10031,
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold.",
        )
    }

    /// 10037: a checksum given with a put did not match the body.
    pub fn bad_digest(algorithm: &str) -> R2Error {
        let what = match algorithm {
            "md5" => "Content-MD5",
            "sha1" => "SHA-1",
            "sha256" => "SHA-256",
            "sha384" => "SHA-384",
            _ => "SHA-512",
        };
        R2Error::new(
            10037,
            "BadDigest",
            400,
            &format!("The {what} you specified did not match what we received."),
        )
    }

    /// 10039: a range beyond the object.
    pub fn invalid_range() -> R2Error {
        R2Error::new(
            10039,
            "InvalidRange",
            416,
            "The requested range is not satisfiable",
        )
    }

    /// 10048: a multipart upload breaking R2's part rules (parts of unequal size).
    pub fn bad_upload(detail: &str) -> R2Error {
        R2Error::new(
            10048,
            "InvalidPart",
            400,
            &format!("There was a problem with the multipart upload. ({detail})"),
        )
    }
}

impl From<rusqlite::Error> for R2Error {
    fn from(e: rusqlite::Error) -> R2Error {
        R2Error::internal(e)
    }
}

impl From<std::io::Error> for R2Error {
    fn from(e: std::io::Error) -> R2Error {
        R2Error::internal(e)
    }
}
