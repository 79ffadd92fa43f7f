//! The WebAssembly examples (`examples/image-resize`, `examples/og-image`),
//! run as a user would: their npm packages come from the committed lock files
//! (scripts/test.sh runs `npm ci`), and the images they answer are decoded
//! here to check sizes and pixels.

use hearth_tests::{repo_root, request_full, Hearth};
use std::path::PathBuf;

fn example(name: &str) -> PathBuf {
    let dir = repo_root().join("examples").join(name);
    assert!(
        dir.join("node_modules/@cf-wasm").is_dir(),
        "run `npm ci --prefix {}` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// A decoded PNG: width, height and RGBA pixels.
struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn decode(bytes: &[u8]) -> Image {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut data = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut data).expect("PNG pixels");
        data.truncate(info.buffer_size());
        let rgba = match info.color_type {
            png::ColorType::Rgba => data,
            png::ColorType::Rgb => data
                .chunks(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            other => panic!("unexpected PNG color type {other:?}"),
        };
        Image {
            width: info.width,
            height: info.height,
            rgba,
        }
    }

    fn at(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        self.rgba[i..i + 4].try_into().unwrap()
    }

    /// How many different colors the image has (an empty or flat image has 1).
    fn colors(&self) -> usize {
        let mut seen: Vec<&[u8]> = self.rgba.chunks(4).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_red(pixel: [u8; 4]) -> bool {
    pixel[0] > 200 && pixel[1] < 60 && pixel[2] < 60
}

/// GETs `path`, which must answer 200 with a PNG: its bytes, decoded.
fn get_png(h: &Hearth, path: &str) -> (Vec<u8>, Image) {
    let (status, png, headers) = request_full(&format!("{}{path}", h.url), "GET", &[], None);
    assert_eq!(
        status,
        200,
        "{}\n{}",
        String::from_utf8_lossy(&png),
        h.logs()
    );
    assert_eq!(header(&headers, "content-type"), Some("image/png"));
    let image = Image::decode(&png);
    (png, image)
}

#[test]
fn image_resize_resizes_and_encodes_with_photon() {
    let h = Hearth::start(&example("image-resize"), &[]);

    // The sample image: a 1000x750 gradient with a red square in the middle.
    let (sample, original) = get_png(&h, "/sample?width=1000&height=750");
    assert_eq!((original.width, original.height), (1000, 750));
    assert!(is_red(original.at(500, 375)));

    // Uploaded and resized to a width: the aspect ratio is kept.
    let (status, resized, headers) = request_full(
        &format!("{}/resize?width=320", h.url),
        "POST",
        &[("content-type", "image/png")],
        Some(&sample),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resized));
    assert_eq!(header(&headers, "content-type"), Some("image/png"));
    let small = Image::decode(&resized);
    assert_eq!((small.width, small.height), (320, 240));
    assert!(is_red(small.at(160, 120)), "{:?}", small.at(160, 120));
    assert!(!is_red(small.at(5, 5)), "{:?}", small.at(5, 5));
    assert!(
        small.colors() > 100,
        "a gradient, not a flat image: {}",
        small.colors()
    );

    // Both sides, and another format.
    let (status, jpeg, headers) = request_full(
        &format!("{}/resize?width=200&height=50&format=jpeg", h.url),
        "POST",
        &[],
        Some(&sample),
    );
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("image/jpeg"));
    assert_eq!(&jpeg[..3], b"\xff\xd8\xff");
    assert_eq!(jpeg_size(&jpeg), Some((200, 50)));

    // Bad input is refused with a reason, and the next request is served.
    let (status, body, _) = request_full(
        &format!("{}/resize?width=10", h.url),
        "POST",
        &[],
        Some(b"not an image"),
    );
    assert_eq!(status, 415, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = request_full(&format!("{}/resize", h.url), "POST", &[], Some(&sample));
    assert_eq!(status, 400);
    let (status, _, _) = request_full(&format!("{}/sample?width=0", h.url), "GET", &[], None);
    assert_eq!(status, 400);
    let (status, page, _) = request_full(&format!("{}/", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<input type=\"file\""));
}

/// The frame size in a baseline JPEG's SOF0 marker.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while at + 9 < bytes.len() {
        if bytes[at] != 0xff {
            return None;
        }
        let marker = bytes[at + 1];
        let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        if marker == 0xc0 || marker == 0xc2 {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]) as u32;
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]) as u32;
            return Some((width, height));
        }
        at += 2 + length;
    }
    None
}

#[test]
fn og_image_draws_a_card_with_text() {
    let h = Hearth::start(&example("og-image"), &[]);

    let (_, card) = get_png(&h, "/og?title=Hello%20hearth&subtitle=wasm");
    assert_eq!((card.width, card.height), (1200, 630));
    // The orange background ...
    let corner = card.at(10, 10);
    assert!(
        corner[0] > 200 && (100..220).contains(&corner[1]) && corner[2] < 100,
        "{corner:?}"
    );
    // ... and the title drawn on it in dark text (the font is bundled).
    let dark_in_title = (60..560)
        .flat_map(|x| (60..180).map(move |y| (x, y)))
        .filter(|&(x, y)| card.at(x, y)[0] < 100)
        .count();
    assert!(dark_in_title > 1000, "title pixels: {dark_in_title}");
    let dark_below = (60..560)
        .flat_map(|x| (300..420).map(move |y| (x, y)))
        .filter(|&(x, y)| card.at(x, y)[0] < 100)
        .count();
    assert_eq!(
        dark_below, 0,
        "nothing drawn between the subtitle and the footer"
    );

    let (status, svg, headers) =
        request_full(&format!("{}/og?format=svg", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("image/svg+xml"));
    assert!(String::from_utf8_lossy(&svg).starts_with("<svg"));

    let (status, page, _) = request_full(&format!("{}/?title=Hi", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("og:image\" content=\"/og?title=Hi\""));
}
