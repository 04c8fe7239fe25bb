//! Reading and writing `.npy` arrays (NumPy's format, version 1.0 to 3.0),
//! so one inference on a Raspberry Pi can be compared with one on a PC or
//! with onnxruntime in Python. Only little-endian float arrays in C order are
//! read; they are returned as f32, the lesson models' element type.

/// A dense float32 array in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NpyError {
    #[error("not a .npy file (the file does not start with the \\x93NUMPY magic); save the array with numpy.save")]
    Magic,
    #[error("the .npy file is truncated: {0}")]
    Truncated(&'static str),
    #[error("unsupported .npy version {0}.{1}")]
    Version(u8, u8),
    #[error("the .npy header is malformed: {0}")]
    Header(String),
    #[error("the array's dtype is {0}; save it as float32 (x.astype(numpy.float32)) or float64")]
    Dtype(String),
    #[error("the array is stored in Fortran order; save numpy.ascontiguousarray(x) instead")]
    FortranOrder,
    #[error(
        "the header says shape {shape:?} ({expected} values) but the file holds {found} values"
    )]
    Length {
        shape: Vec<usize>,
        expected: usize,
        found: usize,
    },
}

impl NpyArray {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> NpyArray {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "shape and data disagree"
        );
        NpyArray { shape, data }
    }

    /// The `.npy` version 1.0 bytes of this array, `<f4`, C order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let shape = match self.shape.len() {
            1 => format!("({},)", self.shape[0]),
            _ => format!(
                "({})",
                self.shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        // Pad with spaces so that magic + version + length + header + '\n' is
        // a multiple of 64 bytes, as numpy does.
        let unpadded = 10 + header.len() + 1;
        header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
        header.push('\n');
        let mut out = Vec::with_capacity(10 + header.len() + self.data.len() * 4);
        out.extend_from_slice(b"\x93NUMPY\x01\x00");
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in &self.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<NpyArray, NpyError> {
        if bytes.len() < 8 || &bytes[..6] != b"\x93NUMPY" {
            return Err(NpyError::Magic);
        }
        let (major, minor) = (bytes[6], bytes[7]);
        let (header_len, start): (usize, usize) = match major {
            1 => {
                let b = bytes
                    .get(8..10)
                    .ok_or(NpyError::Truncated("no header length"))?;
                (u16::from_le_bytes([b[0], b[1]]) as usize, 10)
            }
            2 | 3 => {
                let b = bytes
                    .get(8..12)
                    .ok_or(NpyError::Truncated("no header length"))?;
                (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
            }
            _ => return Err(NpyError::Version(major, minor)),
        };
        let header = bytes
            .get(start..start.saturating_add(header_len))
            .ok_or(NpyError::Truncated("header"))?;
        let header =
            std::str::from_utf8(header).map_err(|_| NpyError::Header("not text".into()))?;
        let descr = dict_value(header, "descr")?;
        let descr = descr.trim_matches(|c| c == '\'' || c == '"');
        if dict_value(header, "fortran_order")? != "False" {
            return Err(NpyError::FortranOrder);
        }
        let shape = parse_shape(&dict_value(header, "shape")?)?;
        let expected = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| NpyError::Header("shape overflows".into()))?;
        let payload = &bytes[start + header_len..];
        let data: Vec<f32> = match descr {
            "<f4" | "=f4" => {
                check_len(&shape, expected, payload.len() / 4, payload.len() % 4)?;
                payload
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            }
            "<f8" | "=f8" => {
                check_len(&shape, expected, payload.len() / 8, payload.len() % 8)?;
                payload
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                    .collect()
            }
            other => return Err(NpyError::Dtype(other.to_string())),
        };
        Ok(NpyArray { shape, data })
    }
}

fn check_len(shape: &[usize], expected: usize, found: usize, rest: usize) -> Result<(), NpyError> {
    if found != expected || rest != 0 {
        return Err(NpyError::Length {
            shape: shape.to_vec(),
            expected,
            found,
        });
    }
    Ok(())
}

/// The raw text of `key`'s value in the header's Python dict literal.
fn dict_value(header: &str, key: &str) -> Result<String, NpyError> {
    let missing = || NpyError::Header(format!("no '{key}' entry"));
    let at = header.find(&format!("'{key}'")).ok_or_else(missing)?;
    let rest = &header[at + key.len() + 2..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')
        .ok_or_else(missing)?
        .trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    }
    .ok_or_else(missing)?;
    Ok(rest[..end].trim().to_string())
}

fn parse_shape(s: &str) -> Result<Vec<usize>, NpyError> {
    let inner = s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| NpyError::Header(format!("shape {s} is not a tuple")))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|_| NpyError::Header(format!("shape entry {p} is not a size")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = NpyArray::new(
            vec![1, 2, 3],
            vec![0.0, 1.5, -2.0, 3.25, 4.0, f32::MIN_POSITIVE],
        );
        let bytes = a.to_bytes();
        assert_eq!(
            (bytes.len() - a.data.len() * 4) % 64,
            0,
            "header is 64-byte aligned"
        );
        assert_eq!(NpyArray::from_bytes(&bytes).unwrap(), a);
        let v = NpyArray::new(vec![2], vec![1.0, 2.0]);
        assert_eq!(NpyArray::from_bytes(&v.to_bytes()).unwrap(), v);
    }

    // Bytes of numpy.save(f, numpy.array([[1.0, 2.0]], dtype=numpy.float64)),
    // header spelled out.
    #[test]
    fn reads_float64_as_written_by_numpy() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
        let mut h = header.to_string();
        h.push_str(&" ".repeat(118 - 1 - header.len()));
        h.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
        bytes.extend_from_slice(h.as_bytes());
        bytes.extend_from_slice(&1.0f64.to_le_bytes());
        bytes.extend_from_slice(&2.0f64.to_le_bytes());
        let a = NpyArray::from_bytes(&bytes).unwrap();
        assert_eq!(a, NpyArray::new(vec![1, 2], vec![1.0, 2.0]));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(NpyArray::from_bytes(b"hello world"), Err(NpyError::Magic));
        let good = NpyArray::new(vec![4], vec![1.0; 4]).to_bytes();
        assert!(matches!(
            NpyArray::from_bytes(&good[..good.len() - 1]),
            Err(NpyError::Length { .. })
        ));
        assert!(matches!(
            NpyArray::from_bytes(&good[..20]),
            Err(NpyError::Truncated(_))
        ));
        let int = replace(&good, b"<f4", b"<i4");
        assert!(matches!(NpyArray::from_bytes(&int), Err(NpyError::Dtype(d)) if d == "<i4"));
        let fortran = replace(&good, b"False", b"True ");
        assert_eq!(NpyArray::from_bytes(&fortran), Err(NpyError::FortranOrder));
    }

    /// Replaces the first `from` in `bytes` by `to` (same length).
    fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = bytes
            .windows(from.len())
            .position(|w| w == from)
            .expect("pattern present");
        let mut out = bytes.to_vec();
        out[at..at + to.len()].copy_from_slice(to);
        out
    }
}
