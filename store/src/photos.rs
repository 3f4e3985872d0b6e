//! Photos as stored: cleaned (re-encoded) images and the limits on them.

/// Most photos per request.
pub const MAX_PHOTOS: usize = 3;

/// Most bytes the stored photos of one request take (re-encoded JPEGs and
/// thumbnails). Three phone photos at 2048 px take 1–4 MiB; this bounds
/// what one request can add even with noise-like images made to compress badly.
pub const MAX_REQUEST_PHOTO_BYTES: i64 = 9 * 1024 * 1024;

/// A photo after checking and re-encoding: nothing of the upload's bytes survives (no
/// EXIF, GPS, comments, trailing data).
#[derive(Debug, Clone)]
pub struct CleanPhoto {
    /// The stored image: baseline JPEG, quality 85, at most `max_side` on its long side.
    pub jpeg: Vec<u8>,
    /// The thumbnail: JPEG, at most `thumb_size` on its long side.
    pub thumb_jpeg: Vec<u8>,
    /// Width of `jpeg`, in pixels.
    pub width: u32,
    /// Height of `jpeg`, in pixels.
    pub height: u32,
    /// What was uploaded: "jpeg", "png" or "webp".
    pub format: &'static str,
}
