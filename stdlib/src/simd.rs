//! AVX2 versions of the hot column loops, chosen at run time.
//!
//! The release build targets baseline x86-64 (SSE2: two `f64` lanes). A function defined with
//! [`avx2_when_available!`](crate::avx2_when_available) is compiled twice: once for the baseline
//! and once with `#[target_feature(enable = "avx2")]` (four lanes), and each call takes the AVX2
//! copy when the processor has it ([`avx2`]). Both copies are the same Rust code, and LLVM may
//! vectorise a float loop only where that keeps the source's order of operations (it never
//! reassociates a float sum and never contracts `a * b + c` into an FMA; the `avx2` feature does
//! not even enable FMA), so the two give the same values bit for bit: the AVX2 copy only does
//! more lanes per instruction. `STRAT_NO_AVX2=1` in the environment forces the baseline copy
//! (read once per process), which is how the tests compare the two.

use std::sync::OnceLock;

/// Whether the AVX2 copies run: the processor has AVX2 and `STRAT_NO_AVX2` is not set. Decided
/// on the first call and cached for the process.
#[inline]
pub fn avx2() -> bool {
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(detect)
}

#[cold]
fn detect() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::env::var_os("STRAT_NO_AVX2").is_none_or(|v| v.is_empty())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines a free function whose body is compiled for baseline x86-64 and for AVX2; each call
/// runs the AVX2 copy when [`avx2`](crate::simd::avx2) says so (see [`crate::simd`] for why the
/// values are the same). Parameters are plain `name: Type` (no patterns, no generics); on other
/// architectures the function is the body alone.
#[macro_export]
macro_rules! avx2_when_available {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn baseline($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    baseline($($arg),*)
                }
                if $crate::simd::avx2() {
                    // SAFETY: the processor has AVX2 (`simd::avx2` checked it).
                    return unsafe { avx2($($arg),*) };
                }
            }
            baseline($($arg),*)
        }
    };
}

#[cfg(test)]
mod tests {
    crate::avx2_when_available! {
        /// A float sum and a select, the shapes of the real users.
        fn sum_defined(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for &v in x {
                s += if v.is_nan() { 0.0 } else { v * 1.5 };
            }
            s
        }
    }

    #[test]
    fn both_copies_give_the_same_bits() {
        let x: Vec<f64> = (0..1001).map(|i| if i % 7 == 0 { f64::NAN } else { (i as f64).sin() * 1e3 }).collect();
        let mut plain = 0.0;
        for &v in &x {
            plain += if v.is_nan() { 0.0 } else { v * 1.5 };
        }
        assert_eq!(sum_defined(&x).to_bits(), plain.to_bits());
    }
}
