//! The serialisation of the reports' floats, metrics and named values.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use strat_stdlib::metrics::{Metrics, METRICS};

/// A float: round-trip exact, `null` for NaN, `"inf"` / `"-inf"` for the infinities.
pub(crate) fn float<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_nan() {
        s.serialize_none()
    } else if *x == f64::INFINITY {
        s.serialize_str("inf")
    } else if *x == f64::NEG_INFINITY {
        s.serialize_str("-inf")
    } else {
        s.serialize_f64(*x)
    }
}

/// A float as [`float`] writes it, for use as a value.
pub(crate) struct Float(pub(crate) f64);

impl Serialize for Float {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        float(&self.0, s)
    }
}

/// Metrics as an object keyed by the names of [`METRICS`], in its order.
pub(crate) fn metrics<S: Serializer>(m: &Metrics, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(METRICS.len()))?;
    for d in &METRICS {
        map.serialize_entry(d.name, &Float((d.get)(m)))?;
    }
    map.end()
}

/// Optional metrics: [`metrics`], or `null`.
pub(crate) fn metrics_opt<S: Serializer>(m: &Option<Metrics>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => metrics(m, s),
        None => s.serialize_none(),
    }
}

/// Named floats as an object, in order.
pub(crate) fn named_floats<S: Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        map.serialize_entry(k, &Float(*x))?;
    }
    map.end()
}

/// Named param values as an object, in declaration order.
pub(crate) fn named_params<S: Serializer>(v: &[(String, ParamValue)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        map.serialize_entry(k, x)?;
    }
    map.end()
}

/// A param's value in a binding: a number, or the name of a choice param's choice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A numeric param's value.
    Number(#[serde(serialize_with = "float")] f64),
    /// A choice param's choice.
    Choice(String),
}

/// A walk-forward period: a year (`2001`), or a month as text (`"2001-02"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Period {
    /// A calendar year.
    Year(i32),
    /// A calendar month, `YYYY-MM`.
    Month(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_round_trip_exact_with_nan_null_and_infinities_as_text() {
        let text = |x: f64| serde_json::to_string(&Float(x)).unwrap();
        assert_eq!(text(f64::NAN), "null");
        assert_eq!(text(f64::INFINITY), "\"inf\"");
        assert_eq!(text(f64::NEG_INFINITY), "\"-inf\"");
        assert_eq!(text(1.0), "1.0");
        assert_eq!(text(-0.0), "-0.0");
        assert_eq!(text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(text(1e300), "1e+300");
        let choice = serde_json::to_string(&[ParamValue::Number(2.5), ParamValue::Choice("hedge".into()), ParamValue::Number(f64::NAN)]).unwrap();
        assert_eq!(choice, "[2.5,\"hedge\",null]");
        assert_eq!(serde_json::to_string(&[Period::Year(2001), Period::Month("2001-02".into())]).unwrap(), "[2001,\"2001-02\"]");
    }
}
