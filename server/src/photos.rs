//! Checking and re-encoding of uploaded photos.
//!
//! Relatives upload photos of a missing soldier. Those files are sensitive (EXIF can
//! carry the GPS position of the family's home, the camera's serial number, names) and
//! untrusted (a crafted file can try to exhaust memory, crash a decoder, or smuggle
//! another file type). So an upload is never stored or served as uploaded: it is
//! checked (size, format by content, dimensions from the header, exact end of the
//! byte stream), decoded under memory limits, and re-encoded from pixels only as a
//! fresh JPEG plus a thumbnail. Nothing of the upload's bytes survives.

use std::borrow::Cow;
use std::future::Future;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ColorType, DynamicImage, GenericImageView, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};
use tokio::sync::Semaphore;

const MIB: u64 = 1024 * 1024;

/// Limits for an uploaded photo.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted upload, checked before anything else.
    pub max_bytes: usize,
    /// Largest accepted width × height, checked from the header before decoding.
    pub max_pixels: u64,
    /// Upper bound on the memory one photo may take while it is cleaned: the decoded
    /// image at its own depth, the decoder's working buffers, the scaled copies and the
    /// decoder's copy of the file. Estimated from the header and checked before
    /// decoding; also the decoder's own allocation limit.
    pub max_alloc: u64,
    /// Wall-clock budget for checking and re-encoding one photo, waiting included.
    pub timeout: Duration,
    /// Long side of the thumbnail, in pixels.
    pub thumb_size: u32,
    /// Long side of the stored image, in pixels; larger uploads are scaled down.
    pub max_side: u32,
}

impl Default for Limits {
    /// 10 MiB, 40 megapixels, 180 MiB per photo, 10 s, 320 px thumbnail, 2048 px stored
    /// image: a modern phone photo fits, a decompression bomb does not. 180 MiB is what
    /// a 40 MP 8-bit RGB photo needs (120 MB decoded plus about 60 MB of copies); images
    /// that take more per pixel (16-bit, alpha, progressive JPEG) get fewer pixels.
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_alloc: 180 * MIB,
            timeout: Duration::from_secs(10),
            thumb_size: 320,
            max_side: 2048,
        }
    }
}

/// Memory shared by all photos being cleaned at once, in MiB. A photo waits until its
/// estimate fits: one at the per-photo limit runs alone, ordinary phone photos (12 MP,
/// about 50 MiB) run several at a time.
const MEMORY_BUDGET_MIB: u32 = 192;
static MEMORY_BUDGET: Semaphore = Semaphore::const_new(MEMORY_BUDGET_MIB as usize);

pub use findkin_store::photos::CleanPhoto;

/// Why an upload was refused. The messages are meant for the person uploading.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the file is not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    /// Also returned when cleaning would need more than `max_alloc` (e.g. 16-bit RGBA
    /// at 25 MP): for the uploader it is the same problem, the image is too big. `max`
    /// is then the pixel count that would fit at this image's depth.
    #[error("the image is {width}×{height} pixels; at most {max} pixels are accepted")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// Also returned for PNG metadata too large to be genuine (an iCCP zlib bomb).
    #[error("the image could not be read: it is damaged or not what it claims to be")]
    Corrupt,
    #[error("the image took too long to process")]
    Timeout,
}

impl PhotoError {
    /// The refusal in the uploader's language, with what they can do about
    /// it — the same words on the web form and in the Telegram chat.
    pub fn in_words(&self, lang: findkin_app::i18n::Lang) -> String {
        let key = match self {
            PhotoError::TooLarge { .. } => "request.error.photo_size",
            PhotoError::UnsupportedFormat => "request.error.photo_format",
            PhotoError::TooManyPixels { .. } => "request.error.photo_pixels",
            PhotoError::Corrupt | PhotoError::Timeout => "request.error.photo_corrupt",
        };
        findkin_app::i18n::t(lang, key)
    }
}

/// Quality of the re-encoded JPEGs: visually lossless for photos, a fraction of the size.
const JPEG_QUALITY: u8 = 85;
/// JPEG cannot express a longer side; larger configured sides are clamped to it.
const JPEG_MAX_SIDE: u32 = 65_535;
/// Largest PNG metadata chunk (iCCP, zTXt, iTXt) accepted. These are zlib streams the
/// png decoder would inflate up to its whole allocation limit; a real ICC profile
/// compresses to a few KiB, so anything bigger is a crafted upload.
const PNG_METADATA_MAX: usize = 64 * 1024;

/// Checks and re-encodes an upload off the async runtime, within the limits' timeout
/// and a memory budget shared by all uploads.
///
/// The cheap checks run first (no decoding; the header gives the memory needed); then
/// the upload waits until that much of the budget is free and decodes on a blocking
/// thread that holds its share until it really ends. A blocking task cannot be
/// interrupted: on timeout the caller gets [`PhotoError::Timeout`] at once, while the
/// task gives up at its next stage boundary and only then frees its share.
pub async fn clean(bytes: Vec<u8>, limits: Limits) -> Result<CleanPhoto, PhotoError> {
    clean_within(&MEMORY_BUDGET, MEMORY_BUDGET_MIB, bytes, limits).await
}

/// [`clean`] against a given budget of `budget_mib` MiB (tests use small ones).
async fn clean_within(
    budget: &'static Semaphore,
    budget_mib: u32,
    bytes: Vec<u8>,
    limits: Limits,
) -> Result<CleanPhoto, PhotoError> {
    let deadline = Instant::now().checked_add(limits.timeout);
    let checked = blocking(deadline, move || guarded(|| check(Cow::Owned(bytes), &limits))).await?;
    // A photo needing more than the whole budget runs alone rather than never.
    let units = u32::try_from(checked.header.need.div_ceil(MIB)).unwrap_or(u32::MAX).clamp(1, budget_mib);
    run_holding(budget, units, deadline, move || guarded(|| process(checked, &limits, deadline))).await
}

/// Runs `work` on a blocking thread once `units` permits of `budget` are free. The
/// closure owns the permits, so they are released when `work` ends, not when the caller
/// stops waiting: a timed-out decode still counts against the budget while it runs.
async fn run_holding<T: Send + 'static>(
    budget: &'static Semaphore,
    units: u32,
    deadline: Option<Instant>,
    work: impl FnOnce() -> Result<T, PhotoError> + Send + 'static,
) -> Result<T, PhotoError> {
    let permit = until(deadline, budget.acquire_many(units)).await?.map_err(|_| PhotoError::Timeout)?;
    blocking(deadline, move || {
        let _permit = permit;
        work()
    })
    .await
}

/// Runs `work` on a blocking thread, waiting for it until `deadline`.
async fn blocking<T: Send + 'static>(
    deadline: Option<Instant>,
    work: impl FnOnce() -> Result<T, PhotoError> + Send + 'static,
) -> Result<T, PhotoError> {
    match until(deadline, tokio::task::spawn_blocking(work)).await? {
        Ok(result) => result,
        // The task panicked or was cancelled; `guarded` already catches panics.
        Err(_) => Err(PhotoError::Corrupt),
    }
}

/// The future's output, or [`PhotoError::Timeout`] once `deadline` has passed.
async fn until<F: Future>(deadline: Option<Instant>, future: F) -> Result<F::Output, PhotoError> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.into(), future).await.map_err(|_| PhotoError::Timeout),
        None => Ok(future.await),
    }
}

/// The same, synchronously and without the shared budget (for tests and tools). The
/// timeout is checked between stages (decode, resize, encode), not within them.
pub fn clean_blocking(bytes: &[u8], limits: Limits) -> Result<CleanPhoto, PhotoError> {
    let deadline = Instant::now().checked_add(limits.timeout);
    guarded(|| clean_inner(bytes, &limits, deadline))
}

/// Turns a panic into [`PhotoError::Corrupt`]: a decoder bug triggered by a crafted file
/// must not take a worker down.
fn guarded<T>(work: impl FnOnce() -> Result<T, PhotoError>) -> Result<T, PhotoError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or(Err(PhotoError::Corrupt))
}

fn clean_inner(bytes: &[u8], limits: &Limits, deadline: Option<Instant>) -> Result<CleanPhoto, PhotoError> {
    process(check(Cow::Borrowed(bytes), limits)?, limits, deadline)
}

/// An upload that passed every check that needs no decoding.
struct Checked<'a> {
    /// The upload, without PNG metadata chunks.
    bytes: Cow<'a, [u8]>,
    format: ImageFormat,
    name: &'static str,
    header: Header,
}

/// What the header says, and what cleaning the image will cost.
#[derive(Debug, Clone, Copy)]
struct Header {
    width: u32,
    height: u32,
    /// Estimated peak memory of cleaning, in bytes; at most `max_alloc`.
    need: u64,
}

/// Size, format by content, exact end of the byte stream, PNG metadata, then the
/// header: everything that can be refused before a pixel is decoded.
fn check<'a>(bytes: Cow<'a, [u8]>, limits: &Limits) -> Result<Checked<'a>, PhotoError> {
    // Cheapest check first, before looking at the content at all.
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge { max: limits.max_bytes });
    }
    // By content only: the file name and the declared type are the uploader's word.
    let (format, name) = match image::guess_format(&bytes) {
        Ok(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "jpeg"),
        Ok(ImageFormat::Png) => (ImageFormat::Png, "png"),
        Ok(ImageFormat::WebP) => (ImageFormat::WebP, "webp"),
        _ => return Err(PhotoError::UnsupportedFormat),
    };
    if image_end(&bytes, format) != Some(bytes.len()) {
        return Err(PhotoError::Corrupt);
    }
    let bytes = match format {
        ImageFormat::Png => png_without_metadata(&bytes)?.map_or(bytes, Cow::Owned),
        _ => bytes,
    };
    let header = read_header(&bytes, format, limits)?;
    Ok(Checked { bytes, format, name, header })
}

/// Decodes, scales and re-encodes a checked upload, checking the deadline between stages.
fn process(checked: Checked<'_>, limits: &Limits, deadline: Option<Instant>) -> Result<CleanPhoto, PhotoError> {
    // The upload may have waited for memory until the deadline.
    check_deadline(deadline)?;
    let Checked { bytes, format, name, header } = checked;
    let decoded = decode_pixels(&bytes, format, header, limits)?;
    drop(bytes);
    check_deadline(deadline)?;

    let max_side = limits.max_side.clamp(1, JPEG_MAX_SIDE);
    let stored = to_stored_rgb(decoded, max_side);
    check_deadline(deadline)?;
    let jpeg = encode_jpeg(&stored)?;
    check_deadline(deadline)?;

    let thumb_side = limits.thumb_size.clamp(1, JPEG_MAX_SIDE);
    let (tw, th) = fit_within(stored.width(), stored.height(), thumb_side);
    let thumb_jpeg = if (tw, th) == stored.dimensions() {
        encode_jpeg(&stored)?
    } else {
        encode_jpeg(&image::imageops::resize(&stored, tw, th, FilterType::Lanczos3))?
    };
    check_deadline(deadline)?;

    Ok(CleanPhoto { jpeg, thumb_jpeg, width: stored.width(), height: stored.height(), format: name })
}

fn check_deadline(deadline: Option<Instant>) -> Result<(), PhotoError> {
    match deadline {
        Some(deadline) if Instant::now() >= deadline => Err(PhotoError::Timeout),
        _ => Ok(()),
    }
}

/// Reads only the header (dimensions and colour type), so an image that claims too many
/// pixels, or too many bytes per pixel for `max_alloc`, is refused without allocating
/// its buffer. Runs after PNG metadata is stripped: the png decoder inflates metadata
/// chunks while reading the header.
fn read_header(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Header, PhotoError> {
    let mut header_limits = image::Limits::default();
    header_limits.max_image_width = None;
    header_limits.max_image_height = None;
    header_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    let decoder = reader.into_decoder().map_err(|_| PhotoError::Corrupt)?;
    let ((width, height), color) = (decoder.dimensions(), decoder.color_type());
    drop(decoder);
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt);
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, max: limits.max_pixels });
    }
    let progressive = format == ImageFormat::Jpeg && jpeg_is_progressive(bytes);
    let per_pixel = decoding_bytes_per_pixel(format, color, progressive);
    let fixed = working_bytes(width, height, color, bytes.len(), limits);
    let need = pixels.saturating_mul(per_pixel).saturating_add(fixed);
    if need > limits.max_alloc {
        let fitting = limits.max_alloc.saturating_sub(fixed) / per_pixel.max(1);
        return Err(PhotoError::TooManyPixels { width, height, max: fitting.min(limits.max_pixels) });
    }
    Ok(Header { width, height, need })
}

/// Bytes per pixel while decoding: the decoded image at its own depth (8 for 16-bit
/// RGBA), plus what the decoder keeps besides it for the whole image.
fn decoding_bytes_per_pixel(format: ImageFormat, color: ColorType, progressive: bool) -> u64 {
    let decoded = u64::from(color.bytes_per_pixel());
    let decoder = match format {
        // zune-jpeg keeps every DCT coefficient (an i16 per pixel and component).
        ImageFormat::Jpeg if progressive => 2 * u64::from(color.channel_count()),
        // image-webp builds whole YUV planes (lossy) or ARGB words (lossless) first.
        ImageFormat::WebP => 4,
        // PNG and baseline JPEG are decoded row by row into the image.
        _ => 0,
    };
    decoded + decoder
}

/// Bytes used after decoding, bounded by the stored size rather than the upload's:
/// the scaled copy at the source depth, its RGBA and RGB forms, the thumbnail's
/// Lanczos3 intermediate (f32 RGBA, stored width × thumbnail height), and the
/// decoder's copy of the file.
fn working_bytes(width: u32, height: u32, color: ColorType, file_len: usize, limits: &Limits) -> u64 {
    let (sw, sh) = fit_within(width, height, limits.max_side.clamp(1, JPEG_MAX_SIDE));
    let (_, th) = fit_within(sw, sh, limits.thumb_size.clamp(1, JPEG_MAX_SIDE));
    let stored = u64::from(sw) * u64::from(sh);
    let copies = stored * (u64::from(color.bytes_per_pixel()) + 4 + 3);
    copies + u64::from(sw) * u64::from(th) * 16 + u64::try_from(file_len).unwrap_or(u64::MAX)
}

/// Decodes with `image::Limits` pinned to the header's dimensions and to `max_alloc`,
/// so a header that lies cannot make the decoder allocate more than was checked.
fn decode_pixels(
    bytes: &[u8],
    format: ImageFormat,
    header: Header,
    limits: &Limits,
) -> Result<DynamicImage, PhotoError> {
    let Header { width, height, .. } = header;
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    decode_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decode_limits);
    let image = reader.decode().map_err(|error| match error {
        ImageError::Limits(_) => PhotoError::TooManyPixels { width, height, max: limits.max_pixels },
        // Unsupported features (12-bit or arithmetic-coded JPEG, …) included: for
        // the uploader the file simply cannot be read.
        _ => PhotoError::Corrupt,
    })?;
    if image.dimensions() != (width, height) {
        return Err(PhotoError::Corrupt);
    }
    Ok(image)
}

/// Scales down to `max_side` on the long side (never up) and flattens to RGB8.
///
/// Scaling is an area average (`thumbnail`), which allocates only its output, and the
/// decoded image is freed before flattening. A Lanczos3 pass would keep an f32 RGBA
/// intermediate of full width × target height: about 100 MB for a 12 MP photo.
fn to_stored_rgb(image: DynamicImage, max_side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let (tw, th) = fit_within(width, height, max_side);
    if (tw, th) == (width, height) {
        return flatten(image);
    }
    let scaled = image.thumbnail_exact(tw, th);
    drop(image);
    flatten(scaled)
}

/// Dimensions scaled so the long side is at most `max_side`, keeping the aspect ratio
/// (rounded, at least 1 px).
fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_side || long == 0 {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let scaled = (u64::from(side) * u64::from(max_side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(max_side).clamp(1, max_side)
    };
    (scale(width), scale(height))
}

/// RGB8 for the JPEG encoder. Transparent areas are composed onto white rather than
/// dropped: dropping alpha would show whatever colour the transparent pixels hold.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u32::from(a);
        let over_white = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Baseline JPEG from pixels only. The `image` encoder writes SOI, a JFIF APP0 and the
/// image; no EXIF (APP1), ICC profile or comment, since none is given to it.
fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(image).map_err(|_| PhotoError::Corrupt)?;
    Ok(out)
}

/// Offset just past the end of the image's own structure, or `None` if that structure
/// is broken or truncated. The caller requires it to be the file's length.
///
/// Why: decoders stop at the end of the image and ignore what follows, so a file can be
/// a valid image and, at the same time, a ZIP archive, an HTML page or a script
/// (a polyglot). Served back, or handled by another tool that sniffs content, it could
/// be interpreted as that other type. We re-encode and never serve the upload's bytes,
/// so this is defence in depth, and a clear sign of a crafted upload. Trailing data is
/// refused outright (no padding allowed): accepting "a little" is exactly where
/// polyglots hide. This also refuses phone photos that append data after the first
/// image (MPF secondary images, gain maps, motion-photo videos).
fn image_end(bytes: &[u8], format: ImageFormat) -> Option<usize> {
    match format {
        ImageFormat::Jpeg => jpeg_end(bytes),
        ImageFormat::Png => png_end(bytes),
        ImageFormat::WebP => webp_end(bytes),
        _ => None,
    }
}

/// JPEG: walks the marker segments (skipping each by its length, so an embedded EXIF
/// thumbnail's EOI is not mistaken for the end) and the entropy-coded data after each
/// SOS, up to the first EOI (0xFFD9) at top level.
fn jpeg_end(b: &[u8]) -> Option<usize> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while *b.get(i + 1)? == 0xFF {
            i += 1;
        }
        let marker = *b.get(i + 1)?;
        i += 2;
        match marker {
            0xD9 => return Some(i),
            // Standalone markers without a length: RSTn, TEM.
            0xD0..=0xD7 | 0x01 => continue,
            // A stuffed zero or a second SOI cannot start a segment.
            0x00 | 0xD8 => return None,
            _ => {
                let length = usize::from(u16::from_be_bytes(read_array(b, i)?));
                if length < 2 {
                    return None;
                }
                i = i.checked_add(length)?;
                if i > b.len() {
                    return None;
                }
                if marker == 0xDA {
                    i = entropy_data_end(b, i)?;
                }
            }
        }
    }
}

/// The entropy-coded data after SOS ends at the first 0xFF that starts a real marker:
/// not a stuffed 0xFF00, not a restart marker RSTn, not a fill byte.
fn entropy_data_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let ff = i + b.get(i..)?.iter().position(|&byte| byte == 0xFF)?;
        match *b.get(ff + 1)? {
            0x00 | 0xD0..=0xD7 => i = ff + 2,
            0xFF => i = ff + 1,
            _ => return Some(ff),
        }
    }
}

/// Whether the frame is progressive (SOF2, SOF6, SOF10, SOF14): zune-jpeg then keeps
/// all DCT coefficients in memory. Walks the segments up to the first frame header;
/// anything unexpected counts as progressive, the costlier case.
fn jpeg_is_progressive(b: &[u8]) -> bool {
    let mut i = 2;
    while let (Some(0xFF), Some(&marker)) = (b.get(i), b.get(i + 1)) {
        match marker {
            0xFF => i += 1,
            0xC2 | 0xC6 | 0xCA | 0xCE => return true,
            0xC0 | 0xC1 | 0xC3 | 0xC5 | 0xC7 | 0xC9 | 0xCB | 0xCD | 0xCF => return false,
            _ => match read_array(b, i + 2) {
                Some(length) => i += 2 + usize::from(u16::from_be_bytes(length)),
                None => return true,
            },
        }
    }
    true
}

/// PNG file signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// PNG: walks the chunks (length, type, data, CRC) up to and including IEND.
fn png_end(b: &[u8]) -> Option<usize> {
    if !b.starts_with(&PNG_SIGNATURE) {
        return None;
    }
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let (kind, _, end) = png_chunk_at(b, pos)?;
        if &kind == b"IEND" {
            return Some(end);
        }
        pos = end;
    }
}

/// The chunk at `pos`: its type, data length and end offset (past the CRC), or `None`
/// if it is malformed or runs past the end of `b`.
fn png_chunk_at(b: &[u8], pos: usize) -> Option<([u8; 4], usize, usize)> {
    let length = u32::from_be_bytes(read_array(b, pos)?);
    if length > 0x7FFF_FFFF {
        return None;
    }
    let kind: [u8; 4] = read_array(b, pos.checked_add(4)?)?;
    let length = usize::try_from(length).ok()?;
    let end = pos.checked_add(12)?.checked_add(length)?;
    (end <= b.len()).then_some((kind, length, end))
}

/// The PNG with only the chunks its pixels need (critical chunks and tRNS), or `None`
/// if it has nothing else. Refuses a metadata chunk larger than [`PNG_METADATA_MAX`].
///
/// Why: the png decoder inflates iCCP, zTXt and iTXt while reading the header, each up
/// to the allocation limit (a 0.5 MB iCCP bomb cost 245 MiB, twice). The stored JPEG is
/// made from pixels only, so no decoder needs to see them.
fn png_without_metadata(b: &[u8]) -> Result<Option<Vec<u8>>, PhotoError> {
    let mut kept = Vec::new();
    let mut dropped = false;
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let (kind, length, end) = png_chunk_at(b, pos).ok_or(PhotoError::Corrupt)?;
        if matches!(&kind, b"iCCP" | b"zTXt" | b"iTXt") && length > PNG_METADATA_MAX {
            return Err(PhotoError::Corrupt);
        }
        if kind[0].is_ascii_uppercase() || &kind == b"tRNS" {
            kept.push(pos..end);
        } else {
            dropped = true;
        }
        if &kind == b"IEND" {
            break;
        }
        pos = end;
    }
    if !dropped {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    for range in kept {
        out.extend_from_slice(b.get(range).ok_or(PhotoError::Corrupt)?);
    }
    Ok(Some(out))
}

/// WebP: the RIFF header's size must cover the file exactly, and the chunks inside must
/// fill it exactly (each padded to an even size; a missing pad on the last is tolerated).
fn webp_end(b: &[u8]) -> Option<usize> {
    if b.get(0..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let riff_end = usize::try_from(u32::from_le_bytes(read_array(b, 4)?)).ok()?.checked_add(8)?;
    if riff_end != b.len() {
        return None;
    }
    let mut pos = 12;
    while pos < riff_end {
        let size = usize::try_from(u32::from_le_bytes(read_array(b, pos.checked_add(4)?)?)).ok()?;
        let data_end = pos.checked_add(8)?.checked_add(size)?;
        if data_end > riff_end {
            return None;
        }
        pos = data_end.checked_add(size & 1)?.min(riff_end);
    }
    Some(pos)
}

/// `N` bytes at `pos`, or `None` past the end.
fn read_array<const N: usize>(b: &[u8], pos: usize) -> Option<[u8; N]> {
    b.get(pos..pos.checked_add(N)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- helpers -----

    fn gradient(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x + y) % 256) as u8])
        })
    }

    fn encode_as(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn jpeg_of(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).encode_image(&gradient(width, height)).unwrap();
        out
    }

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        encode_as(&DynamicImage::ImageRgb8(gradient(width, height)), ImageFormat::Png)
    }

    fn webp_of(width: u32, height: u32) -> Vec<u8> {
        encode_as(&DynamicImage::ImageRgb8(gradient(width, height)), ImageFormat::WebP)
    }

    fn dimensions_of(jpeg: &[u8]) -> (u32, u32) {
        assert_eq!(image::guess_format(jpeg).unwrap(), ImageFormat::Jpeg);
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).unwrap().dimensions()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    /// No EXIF or other metadata segment: the marker walk sees only what the `image`
    /// encoder writes, and neither the APP1 marker nor the EXIF/GPS text appears anywhere.
    fn assert_no_metadata(jpeg: &[u8]) {
        assert!(!contains(jpeg, &[0xFF, 0xE1]), "APP1 marker in output");
        assert!(!contains(jpeg, b"Exif"), "Exif in output");
        assert!(!contains(jpeg, b"GPS"), "GPS in output");
        assert_eq!(jpeg_end(jpeg), Some(jpeg.len()));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
        chunk
    }

    /// Tiny xorshift: deterministic randomness without another dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// `decode` as the pipeline does it: header first, then pixels.
    fn decode(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<DynamicImage, PhotoError> {
        decode_pixels(bytes, format, read_header(bytes, format, limits)?, limits)
    }

    /// LSB-first bit packing, as deflate wants it.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        byte: u8,
        used: u32,
    }
    impl Bits {
        fn bit(&mut self, bit: u32) {
            self.byte |= ((bit & 1) as u8) << self.used;
            self.used += 1;
            if self.used == 8 {
                self.out.push(self.byte);
                (self.byte, self.used) = (0, 0);
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.bit(code >> i);
            }
        }
    }

    /// A zlib stream inflating to `n` zero bytes, the way a bomb is made: one
    /// fixed-Huffman block of a literal 0 then <length 258, distance 1> copies.
    fn zlib_zeros(n: usize) -> Vec<u8> {
        const LITERAL_0: (u32, u32) = (0x30, 8);
        let mut bits = Bits::default();
        bits.bit(1); // last block
        bits.code(0b10, 2); // fixed Huffman (BTYPE 01, LSB first)
        let mut left = n;
        if left > 0 {
            bits.code(LITERAL_0.0, LITERAL_0.1);
            left -= 1;
        }
        while left >= 258 {
            bits.code(0xC5, 8); // length 258
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.code(LITERAL_0.0, LITERAL_0.1);
        }
        bits.code(0, 7); // end of block
        if bits.used > 0 {
            bits.out.push(bits.byte);
        }
        let mut out = vec![0x78, 0x01];
        out.extend(bits.out);
        out.extend_from_slice(&((((n % 65_521) as u32) << 16) | 1).to_be_bytes());
        out
    }

    /// A PNG of zero-valued pixels (e.g. 16-bit RGBA: `depth` 16, `color` 6).
    fn png_of_zeros(width: u32, height: u32, depth: u8, color: u8, bytes_per_pixel: usize) -> Vec<u8> {
        let mut png = PNG_SIGNATURE.to_vec();
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
        png.extend(png_chunk(b"IHDR", &ihdr));
        let raw = height as usize * (1 + width as usize * bytes_per_pixel);
        png.extend(png_chunk(b"IDAT", &zlib_zeros(raw)));
        png.extend(png_chunk(b"IEND", &[]));
        png
    }

    /// `png` with `chunk` inserted right after IHDR.
    fn with_chunk_after_ihdr(png: &[u8], chunk: Vec<u8>) -> Vec<u8> {
        let ihdr_end = PNG_SIGNATURE.len() + 12 + 13;
        [&png[..ihdr_end], &chunk, &png[ihdr_end..]].concat()
    }

    /// Baseline JPEG, three components without subsampling, every block flat grey:
    /// one-code Huffman tables make each block two bits, so 40 MP fit in 0.5 MB.
    fn flat_jpeg(width: u16, height: u16) -> Vec<u8> {
        let segment = |marker: u8, data: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(data);
            s
        };
        let mut out = vec![0xFF, 0xD8];
        out.extend(segment(0xDB, &[[0u8].as_slice(), &[1; 64]].concat()));
        let mut sof = vec![8];
        sof.extend_from_slice(&height.to_be_bytes());
        sof.extend_from_slice(&width.to_be_bytes());
        sof.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
        out.extend(segment(0xC0, &sof));
        for class in [0x00, 0x10] {
            // One code of length 1 for symbol 0: DC difference 0, AC end of block.
            out.extend(segment(0xC4, &[[class, 1].as_slice(), &[0; 15], &[0]].concat()));
        }
        out.extend(segment(0xDA, &[3, 1, 0, 2, 0, 3, 0, 0, 63, 0]));
        let bits = usize::from(width.div_ceil(8)) * usize::from(height.div_ceil(8)) * 3 * 2;
        let mut data = vec![0u8; bits.div_ceil(8)];
        if let (Some(last), 1..) = (data.last_mut(), bits % 8) {
            *last = (1 << (8 - bits % 8)) - 1; // pad with one bits
        }
        out.extend(data);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    fn small_limits() -> Limits {
        Limits { max_pixels: 1 << 16, max_alloc: 4 << 20, ..Limits::default() }
    }

    // ----- refusals -----

    #[test]
    fn png_declaring_100000_squared_pixels_is_refused_from_the_header() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no interlace
        png.extend(png_chunk(b"IHDR", &ihdr));
        // A zlib stream holding one empty stored block: far too little data.
        png.extend(png_chunk(b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]));
        png.extend(png_chunk(b"IEND", &[]));

        let limits = Limits::default();
        let start = Instant::now();
        let result = clean_blocking(&png, limits);
        let elapsed = start.elapsed();
        assert_eq!(
            result.unwrap_err(),
            PhotoError::TooManyPixels { width: 100_000, height: 100_000, max: limits.max_pixels }
        );
        // 30 GB would be needed to decode it; refusing from the header takes microseconds.
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    }

    #[test]
    fn jpeg_zip_polyglot_is_refused() {
        let mut polyglot = jpeg_of(16, 16);
        assert!(clean_blocking(&polyglot, Limits::default()).is_ok());
        let zip_start = polyglot.len() as u32;
        // Local file header for "a.txt" holding "hi" (stored).
        let crc = crc32(b"hi").to_le_bytes();
        let mut local = b"PK\x03\x04\x0A\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        local.extend_from_slice(&crc);
        local.extend_from_slice(&2u32.to_le_bytes());
        local.extend_from_slice(&2u32.to_le_bytes());
        local.extend_from_slice(&5u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(b"a.txthi");
        let cd_start = zip_start + local.len() as u32;
        let mut central = b"PK\x01\x02\x14\x00\x0A\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        central.extend_from_slice(&crc);
        central.extend_from_slice(&2u32.to_le_bytes());
        central.extend_from_slice(&2u32.to_le_bytes());
        central.extend_from_slice(&5u16.to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&zip_start.to_le_bytes());
        central.extend_from_slice(b"a.txt");
        let mut end = b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00".to_vec();
        end.extend_from_slice(&(central.len() as u32).to_le_bytes());
        end.extend_from_slice(&cd_start.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        polyglot.extend(local);
        polyglot.extend(central);
        polyglot.extend(end);

        assert_eq!(clean_blocking(&polyglot, Limits::default()).unwrap_err(), PhotoError::Corrupt);
    }

    #[test]
    fn trailing_data_after_the_image_is_refused_in_every_format() {
        for valid in [jpeg_of(8, 8), png_of(8, 8), webp_of(8, 8)] {
            assert!(clean_blocking(&valid, Limits::default()).is_ok());
            for tail in [&b"\0"[..], b"\0\0\0\0", b"<script>alert(1)</script>", &[0xFF, 0xD9]] {
                let mut file = valid.clone();
                file.extend_from_slice(tail);
                assert_eq!(clean_blocking(&file, Limits::default()).unwrap_err(), PhotoError::Corrupt);
            }
        }
        // WebP with a RIFF size that claims more (or less) than the file holds.
        let mut webp = webp_of(8, 8);
        let size = u32::from_le_bytes(read_array(&webp, 4).unwrap());
        webp[4..8].copy_from_slice(&(size + 2).to_le_bytes());
        assert_eq!(clean_blocking(&webp, Limits::default()).unwrap_err(), PhotoError::Corrupt);
        webp[4..8].copy_from_slice(&(size - 2).to_le_bytes());
        assert_eq!(clean_blocking(&webp, Limits::default()).unwrap_err(), PhotoError::Corrupt);
    }

    #[test]
    fn gif_text_empty_and_oversized_files_are_refused() {
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        let limits = Limits::default();
        assert_eq!(clean_blocking(gif, limits).unwrap_err(), PhotoError::UnsupportedFormat);
        assert_eq!(
            clean_blocking(b"Dear findkin team, here is the photo.\n", limits).unwrap_err(),
            PhotoError::UnsupportedFormat
        );
        assert_eq!(clean_blocking(b"", limits).unwrap_err(), PhotoError::UnsupportedFormat);
        // A valid photo one byte over the limit: size is checked before anything else.
        let jpeg = jpeg_of(8, 8);
        let tight = Limits { max_bytes: jpeg.len() - 1, ..limits };
        assert_eq!(clean_blocking(&jpeg, tight).unwrap_err(), PhotoError::TooLarge { max: jpeg.len() - 1 });
        let huge = vec![0u8; limits.max_bytes + 1];
        assert_eq!(clean_blocking(&huge, limits).unwrap_err(), PhotoError::TooLarge { max: limits.max_bytes });
    }

    #[test]
    fn decoder_allocation_limit_is_enforced() {
        let limits = Limits { max_alloc: 4096, ..Limits::default() };
        // 12 KiB decoded, within max_pixels but over max_alloc.
        for file in [png_of(64, 64), jpeg_of(64, 64), webp_of(64, 64)] {
            let error = clean_blocking(&file, limits).unwrap_err();
            assert!(matches!(error, PhotoError::TooManyPixels { width: 64, height: 64, .. }), "{error:?}");
        }
    }

    #[test]
    fn png_16_bit_5000_squared_is_refused_from_the_header() {
        // 5000×5000 RGBA at 16 bits: 200 MB decoded, 1.3 MB uploaded, under 40 MP.
        let png = png_of_zeros(5000, 5000, 16, 6, 8);
        let limits = Limits::default();
        assert!(png.len() < limits.max_bytes);
        let start = Instant::now();
        let error = clean_blocking(&png, limits).unwrap_err();
        let elapsed = start.elapsed();
        // The reason says how many pixels fit at this depth: fewer than it has.
        let PhotoError::TooManyPixels { width: 5000, height: 5000, max } = error else { panic!("{error:?}") };
        assert!(max < 25_000_000 && max > 10_000_000, "max {max}");
        // Decoding would inflate 200 MB; the header alone takes microseconds.
        assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");
        // The same pixels at 8 bits fit.
        let eight_bit = png_of_zeros(4000, 4000, 8, 6, 4);
        assert!(read_header(&eight_bit, ImageFormat::Png, &limits).is_ok());
    }

    #[test]
    fn forty_megapixel_baseline_jpeg_fits_the_memory_limit() {
        let limits = Limits::default();
        let jpeg = flat_jpeg(7296, 5472);
        let header = read_header(&jpeg, ImageFormat::Jpeg, &limits).unwrap();
        assert!(header.need <= limits.max_alloc, "{header:?}");
        assert!(header.need > 120_000_000, "{header:?}");
        let clean = clean_blocking(&flat_jpeg(64, 48), limits).unwrap();
        assert_eq!((clean.width, clean.height), (64, 48));
    }

    #[test]
    fn png_metadata_bombs_are_refused_and_small_metadata_is_dropped() {
        let png = png_of(16, 16);
        // 100 MiB of zeros in a 0.6 MB iCCP chunk; the same in zTXt and iTXt.
        let bomb = zlib_zeros(100 << 20);
        for (kind, prefix) in
            [(b"iCCP", &b"bomb\0\0"[..]), (b"zTXt", b"Comment\0\0"), (b"iTXt", b"Comment\0\x01\0\0\0")]
        {
            let file = with_chunk_after_ihdr(&png, png_chunk(kind, &[prefix, &bomb].concat()));
            assert_eq!(image_end(&file, ImageFormat::Png), Some(file.len()));
            let start = Instant::now();
            assert_eq!(clean_blocking(&file, Limits::default()).unwrap_err(), PhotoError::Corrupt);
            assert!(start.elapsed() < Duration::from_millis(500), "{:?}", start.elapsed());
        }
        // A real-sized profile is fine, and no decoder sees it.
        let small =
            with_chunk_after_ihdr(&png, png_chunk(b"iCCP", &[b"sRGB\0\0".as_slice(), &zlib_zeros(3144)].concat()));
        let stripped = png_without_metadata(&small).unwrap().unwrap();
        assert_eq!(stripped, png);
        assert_eq!(png_without_metadata(&png).unwrap(), None);
        let clean = clean_blocking(&small, Limits::default()).unwrap();
        assert_eq!((clean.width, clean.height), (16, 16));
    }

    // ----- accepted uploads -----

    #[test]
    fn gps_exif_is_stripped_and_dimensions_kept() {
        // TIFF structure, big-endian: IFD0 with a GPSInfo pointer, a GPS IFD with
        // version, latitude ref, latitude and a processing method naming "GPS".
        let mut tiff = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1]);
        tiff.extend_from_slice(&26u32.to_be_bytes()); // GPS IFD offset
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        assert_eq!(tiff.len(), 26);
        let gps_entries = 4u16;
        let data_start = 26 + 2 + 12 * u32::from(gps_entries) + 4;
        tiff.extend_from_slice(&gps_entries.to_be_bytes());
        tiff.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, 0, 0, 0, 4, 2, 3, 0, 0]); // GPSVersionID
        tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef
        tiff.extend_from_slice(&[0x00, 0x02, 0x00, 0x05, 0, 0, 0, 3]); // GPSLatitude
        tiff.extend_from_slice(&data_start.to_be_bytes());
        tiff.extend_from_slice(&[0x00, 0x1B, 0x00, 0x07, 0, 0, 0, 15]); // GPSProcessingMethod
        tiff.extend_from_slice(&(data_start + 24).to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        for (numerator, denominator) in [(52u32, 1u32), (31, 1), (1234, 100)] {
            tiff.extend_from_slice(&numerator.to_be_bytes());
            tiff.extend_from_slice(&denominator.to_be_bytes());
        }
        tiff.extend_from_slice(b"ASCII\0\0\0GPS-FIX\0");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        segment.extend(app1);

        let plain = jpeg_of(37, 23);
        let mut with_gps = plain[..2].to_vec();
        with_gps.extend(segment);
        with_gps.extend_from_slice(&plain[2..]);
        assert!(contains(&with_gps, &[0xFF, 0xE1]) && contains(&with_gps, b"Exif") && contains(&with_gps, b"GPS"));
        // The crafted EXIF is well-formed enough for the decoder to find it.
        let mut decoder = ImageReader::with_format(Cursor::new(&with_gps), ImageFormat::Jpeg).into_decoder().unwrap();
        use image::ImageDecoder;
        assert!(decoder.exif_metadata().unwrap().is_some_and(|exif| contains(&exif, b"GPS")));

        let clean = clean_blocking(&with_gps, Limits::default()).unwrap();
        assert_eq!(clean.format, "jpeg");
        assert_eq!((clean.width, clean.height), (37, 23));
        assert_eq!(dimensions_of(&clean.jpeg), (37, 23));
        assert_no_metadata(&clean.jpeg);
        assert_no_metadata(&clean.thumb_jpeg);
    }

    #[test]
    fn zip_inside_a_comment_does_not_survive() {
        let plain = jpeg_of(16, 16);
        let payload = b"PK\x03\x04 hidden archive";
        let mut file = plain[..2].to_vec();
        file.extend_from_slice(&[0xFF, 0xFE]);
        file.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        file.extend_from_slice(payload);
        file.extend_from_slice(&plain[2..]);
        let clean = clean_blocking(&file, Limits::default()).unwrap();
        assert!(!contains(&clean.jpeg, b"PK\x03\x04"));
        assert!(!contains(&clean.jpeg, &[0xFF, 0xFE]));
    }

    #[test]
    fn png_with_alpha_and_lossless_webp_come_back_as_jpeg_with_thumbnail() {
        let limits = Limits::default();
        let rgba = image::RgbaImage::from_fn(640, 400, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 0, if x < 320 { 0 } else { 255 }])
        });
        let png = encode_as(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
        let clean = clean_blocking(&png, limits).unwrap();
        assert_eq!(clean.format, "png");
        assert_eq!((clean.width, clean.height), (640, 400));
        assert_eq!(dimensions_of(&clean.jpeg), (640, 400));
        assert_eq!(dimensions_of(&clean.thumb_jpeg), (320, 200));
        // The transparent half is composed onto white.
        let decoded = image::load_from_memory(&clean.jpeg).unwrap().into_rgb8();
        assert!(decoded.get_pixel(100, 100).0.iter().all(|&c| c > 240));
        assert_no_metadata(&clean.jpeg);

        let webp = webp_of(200, 500);
        assert!(webp.starts_with(b"RIFF") && contains(&webp, b"VP8L"));
        let clean = clean_blocking(&webp, limits).unwrap();
        assert_eq!(clean.format, "webp");
        assert_eq!(dimensions_of(&clean.jpeg), (200, 500));
        let (tw, th) = dimensions_of(&clean.thumb_jpeg);
        assert_eq!((tw, th), (128, 320));
        assert_no_metadata(&clean.thumb_jpeg);
    }

    #[test]
    fn images_larger_than_max_side_are_scaled_down_keeping_aspect() {
        let limits = Limits { max_side: 100, thumb_size: 40, ..Limits::default() };
        // Direct Lanczos3 (< 2× the target), landscape.
        let clean = clean_blocking(&png_of(150, 60), limits).unwrap();
        assert_eq!((clean.width, clean.height), (100, 40));
        assert_eq!(dimensions_of(&clean.jpeg), (100, 40));
        assert_eq!(dimensions_of(&clean.thumb_jpeg), (40, 16));
        // Two-step (box, then Lanczos3), portrait.
        let clean = clean_blocking(&jpeg_of(250, 1000), limits).unwrap();
        assert_eq!((clean.width, clean.height), (25, 100));
        assert_eq!(dimensions_of(&clean.jpeg), (25, 100));
        assert_eq!(dimensions_of(&clean.thumb_jpeg), (10, 40));
        // Smaller images are not enlarged, not even for the thumbnail.
        let clean = clean_blocking(&webp_of(30, 20), limits).unwrap();
        assert_eq!((clean.width, clean.height), (30, 20));
        assert_eq!(dimensions_of(&clean.thumb_jpeg), (30, 20));
        // An extreme aspect ratio keeps at least one pixel.
        let clean = clean_blocking(&png_of(1000, 2), limits).unwrap();
        assert_eq!((clean.width, clean.height), (100, 1));
    }

    #[test]
    fn fit_within_is_exact_on_the_long_side() {
        assert_eq!(fit_within(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit_within(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit_within(2048, 10, 2048), (2048, 10));
        assert_eq!(fit_within(u32::MAX, 1, 2048), (2048, 1));
    }

    // ----- async wrapper -----

    #[tokio::test]
    async fn clean_runs_on_a_blocking_thread_and_honours_the_timeout() {
        let clean_photo = clean(png_of(50, 40), Limits::default()).await.unwrap();
        assert_eq!((clean_photo.width, clean_photo.height), (50, 40));
        assert_eq!(
            clean(png_of(50, 40), Limits { timeout: Duration::ZERO, ..Limits::default() }).await.unwrap_err(),
            PhotoError::Timeout
        );
        assert_eq!(clean(b"GIF89a".to_vec(), Limits::default()).await.unwrap_err(), PhotoError::UnsupportedFormat);
    }

    #[tokio::test]
    async fn a_timed_out_decode_keeps_its_budget_until_it_really_ends() {
        let budget: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
        let soon = || Instant::now().checked_add(Duration::from_millis(50));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // A decode that outlives its caller's deadline.
        let first = run_holding(budget, 1, soon(), move || {
            let _ = wait.recv();
            Ok(())
        })
        .await;
        assert_eq!(first, Err(PhotoError::Timeout));
        assert_eq!(budget.available_permits(), 0, "released while the decode still runs");
        // The next upload waits for it instead of decoding alongside.
        assert_eq!(run_holding(budget, 1, soon(), || Ok(())).await, Err(PhotoError::Timeout));
        release.send(()).unwrap();
        let later = Instant::now().checked_add(Duration::from_secs(10));
        assert_eq!(run_holding(budget, 1, later, || Ok(())).await, Ok(()));
        assert_eq!(budget.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_photo_larger_than_the_budget_still_runs_alone() {
        let budget: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
        let clean_photo = clean_within(budget, 1, png_of(1000, 800), Limits::default()).await.unwrap();
        assert_eq!((clean_photo.width, clean_photo.height), (1000, 800));
        assert_eq!(budget.available_permits(), 1);
    }

    // ----- never panic -----
    // These call clean_inner / decode directly, bypassing catch_unwind, so a panic in
    // our code or in a decoder fails the test instead of being turned into Corrupt.

    #[test]
    fn random_bytes_never_panic() {
        let limits = small_limits();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let prefixes: [&[u8]; 5] =
            [b"", &[0xFF, 0xD8, 0xFF], b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8L", b"RIFF\0\0\0\0WEBPVP8 "];
        for round in 0..4000 {
            let mut bytes = prefixes[round % prefixes.len()].to_vec();
            let len = rng.below(600);
            bytes.extend(rng.bytes(len));
            if bytes.starts_with(b"RIFF") {
                let size = (bytes.len() - 8) as u32;
                bytes[4..8].copy_from_slice(&size.to_le_bytes());
            }
            assert!(clean_inner(&bytes, &limits, None).is_err());
            if let Ok(format) = image::guess_format(&bytes) {
                let _ = decode(&bytes, format, &limits);
            }
        }
    }

    #[test]
    fn truncations_and_mutations_of_valid_images_never_panic() {
        let limits = small_limits();
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let samples = [
            (jpeg_of(24, 16), ImageFormat::Jpeg),
            (png_of(24, 16), ImageFormat::Png),
            (webp_of(24, 16), ImageFormat::WebP),
            (encode_as(&DynamicImage::ImageRgba8(image::RgbaImage::new(9, 7)), ImageFormat::WebP), ImageFormat::WebP),
        ];
        for (valid, format) in &samples {
            assert!(clean_inner(valid, &limits, None).is_ok());
            for cut in 0..valid.len() {
                let truncated = &valid[..cut];
                assert!(clean_inner(truncated, &limits, None).is_err(), "{format:?} cut at {cut}");
                // Past the end check, straight into the decoder.
                let _ = decode(truncated, *format, &limits);
            }
            for _ in 0..500 {
                let mut mutated = valid.clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(mutated.len());
                    mutated[at] = rng.next() as u8;
                }
                // May or may not still be an image; it must just not panic.
                let _ = clean_inner(&mutated, &limits, None);
                let _ = decode(&mutated, *format, &limits);
            }
        }
    }
}
