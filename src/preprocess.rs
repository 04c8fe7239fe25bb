//! The old lesson's image preprocessing contract, for `--data-path`:
//! resize to the model's input size (bilinear with antialiasing, as PIL does
//! when torchvision resizes), scale to [0, 1], normalise with the ImageNet
//! mean and standard deviation, and lay the result out as CHW.
//!
//! Decoding image files is the shell's job; this module starts from RGB bytes.

/// ImageNet channel means and standard deviations (R, G, B).
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
pub struct RgbImage<'a> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [u8],
}

/// Resizes `img` to `width` × `height` and returns the normalised CHW floats.
pub fn to_normalised_chw(img: &RgbImage, width: usize, height: usize) -> Vec<f32> {
    assert_eq!(
        img.pixels.len(),
        img.width * img.height * 3,
        "pixel buffer size"
    );
    // Separable resampling: rows first, then columns, in f32 per channel.
    let horizontal = Resampler::new(img.width, width);
    let vertical = Resampler::new(img.height, height);
    let mut out = vec![0.0f32; 3 * width * height];
    let mut row_pass = vec![0.0f32; img.height * width * 3];
    for y in 0..img.height {
        let src = &img.pixels[y * img.width * 3..(y + 1) * img.width * 3];
        for x in 0..width {
            let mut acc = [0.0f32; 3];
            for (i, w) in horizontal.taps(x) {
                for c in 0..3 {
                    acc[c] += w * src[i * 3 + c] as f32;
                }
            }
            // PIL stores the horizontal pass as an 8-bit image before the
            // vertical pass; rounding here too keeps the two within one level.
            let px = acc.map(|v| v.round().clamp(0.0, 255.0));
            row_pass[(y * width + x) * 3..(y * width + x) * 3 + 3].copy_from_slice(&px);
        }
    }
    for y in 0..height {
        for x in 0..width {
            let mut acc = [0.0f32; 3];
            for (i, w) in vertical.taps(y) {
                for c in 0..3 {
                    acc[c] += w * row_pass[(i * width + x) * 3 + c];
                }
            }
            for c in 0..3 {
                // PIL rounds the resampled value back to 8 bits before
                // torchvision's ToTensor divides by 255; do the same.
                let v = acc[c].round().clamp(0.0, 255.0) / 255.0;
                out[c * width * height + y * width + x] = (v - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
            }
        }
    }
    out
}

/// Precomputed triangle-filter taps for one axis, widened by the scale factor
/// when shrinking (antialiasing).
struct Resampler {
    starts: Vec<usize>,
    weights: Vec<Vec<f32>>,
}

impl Resampler {
    fn new(src: usize, dst: usize) -> Resampler {
        let scale = src as f64 / dst as f64;
        let support = scale.max(1.0);
        let mut starts = Vec::with_capacity(dst);
        let mut weights = Vec::with_capacity(dst);
        for o in 0..dst {
            let center = (o as f64 + 0.5) * scale;
            let lo = ((center - support).floor().max(0.0)) as usize;
            let hi = ((center + support).ceil() as usize).min(src);
            let mut w: Vec<f64> = (lo..hi)
                .map(|i| {
                    let t = ((i as f64 + 0.5 - center) / support).abs();
                    (1.0 - t).max(0.0)
                })
                .collect();
            let sum: f64 = w.iter().sum();
            if sum > 0.0 {
                w.iter_mut().for_each(|x| *x /= sum);
            }
            starts.push(lo);
            weights.push(w.into_iter().map(|x| x as f32).collect());
        }
        Resampler { starts, weights }
    }

    fn taps(&self, o: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let start = self.starts[o];
        self.weights[o]
            .iter()
            .enumerate()
            .map(move |(k, &w)| (start + k, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_stays_flat_and_is_normalised() {
        let pixels = vec![255u8; 10 * 7 * 3];
        let img = RgbImage {
            width: 10,
            height: 7,
            pixels: &pixels,
        };
        let out = to_normalised_chw(&img, 4, 4);
        assert_eq!(out.len(), 3 * 16);
        for c in 0..3 {
            let expected = (1.0 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
            for v in &out[c * 16..(c + 1) * 16] {
                assert!((v - expected).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn identity_size_keeps_pixels() {
        let pixels: Vec<u8> = (0..2 * 2 * 3).map(|i| (i * 20) as u8).collect();
        let img = RgbImage {
            width: 2,
            height: 2,
            pixels: &pixels,
        };
        let out = to_normalised_chw(&img, 2, 2);
        // Red channel of pixel (x=1, y=0) is pixels[3] = 60.
        let expected = (60.0 / 255.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0];
        assert!((out[1] - expected).abs() < 1e-6);
    }

    #[test]
    fn downscaling_averages_neighbours() {
        // A 2x1 image, black and white, shrunk to 1x1: the mean grey.
        let pixels = [0u8, 0, 0, 255, 255, 255];
        let img = RgbImage {
            width: 2,
            height: 1,
            pixels: &pixels,
        };
        let out = to_normalised_chw(&img, 1, 1);
        let expected = (128.0 / 255.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0];
        assert!((out[0] - expected).abs() < 1e-6, "{}", out[0]);
    }
}
