//! Avro's binary primitives, read as services/adapters/avro_codec.py reads them, and
//! the calendar arithmetic the lanes and the codec share. Every failure is None: the
//! Python reference then reads the input and says what is wrong with it.

pub struct Input<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl<'a> Input<'a> {
    pub fn new(b: &'a [u8], i: usize) -> Self {
        Input { b, i }
    }

    /// A zigzag varint; refused past 64 bits (ten bytes, the last 0 or 1).
    pub fn long(&mut self) -> Option<i64> {
        let mut n: u64 = 0;
        let mut shift = 0u32;
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            if shift == 63 && c > 1 {
                return None;
            }
            n |= ((c & 0x7f) as u64) << shift;
            if c < 0x80 {
                return Some(((n >> 1) as i64) ^ -((n & 1) as i64));
            }
            shift += 7;
        }
    }

    pub fn raw(&mut self) -> Option<&'a [u8]> {
        let n = self.long()?;
        if n < 0 {
            return None;
        }
        let end = self.i.checked_add(n as usize)?;
        let raw = self.b.get(self.i..end)?;
        self.i = end;
        Some(raw)
    }

    pub fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.raw()?).ok()
    }

    /// A ["null", "string"] union.
    pub fn optional_string(&mut self) -> Option<Option<&'a str>> {
        match self.long()? {
            0 => Some(None),
            1 => Some(Some(self.string()?)),
            _ => None,
        }
    }

    /// An array or map block's item count (a negative count is followed by the block's
    /// size); refused when its items could not fit in what is left (each takes a byte).
    pub fn count(&mut self) -> Option<usize> {
        let mut n = self.long()?;
        if n < 0 {
            n = n.checked_neg()?;
            self.long()?;
        }
        if n as u64 > (self.b.len() - self.i) as u64 {
            return None;
        }
        Some(n as usize)
    }

    pub fn at_end(&self) -> bool {
        self.i == self.b.len()
    }
}

/// Days since 1970-01-01 -> (year, month, day) (H. Hinnant's civil_from_days).
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// (year, month, day) -> days since 1970-01-01.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
