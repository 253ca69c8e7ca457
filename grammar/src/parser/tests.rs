//! The portfolio stage's statements (`cost` in its three forms, `capital`, `kill`): their AST,
//! its printed tree, and a round trip through each statement's own source text.

use super::source_to_ast;
use crate::ast::*;
use crate::print::program_tree;

/// Parses `src`, which must be free of syntax errors.
fn parse(src: &str) -> Program {
    let (p, d) = source_to_ast(src);
    assert!(d.is_empty(), "{src}: {d:?}");
    p
}

/// The one statement of `src`.
fn one(src: &str) -> StmtKind {
    let p = parse(src);
    assert_eq!(p.stmts.len(), 1, "{src}");
    p.stmts.into_iter().next().unwrap().kind
}

#[test]
fn cost_takes_a_rate_a_param_or_an_expression() {
    let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost 10bps") else { panic!() };
    let ExprKind::Number(l) = e.kind else { panic!("{e:?}") };
    assert_eq!((l.text.as_str(), l.unit), ("10bps", Unit::Bps));
    assert!((l.value - 0.001).abs() < 1e-18);

    let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost c") else { panic!() };
    assert!(matches!(e.kind, ExprKind::Name(ref i) if i.name == "c"));

    // A negative literal is an expression now (the checker refuses it).
    let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost -2bps") else { panic!() };
    assert!(matches!(e.kind, ExprKind::Unary(UnOp::Neg, _)));

    assert_eq!(
        program_tree(&parse("cost clamp(2bps + 0.5 * std(ret(stocks), 60), 1bps, 50bps)")),
        "cost\n\
         └─ call clamp\n   \
            ├─ binary +\n   \
            │  ├─ number 2bps\n   \
            │  └─ binary *\n   \
            │     ├─ number 0.5\n   \
            │     └─ call std\n   \
            │        ├─ call ret\n   \
            │        │  └─ name stocks\n   \
            │        └─ number 60\n   \
            ├─ number 1bps\n   \
            └─ number 50bps\n"
    );
    assert_eq!(program_tree(&parse("cost 10bps\ncost c")), "cost 10bps\ncost\n└─ name c\n");
}

#[test]
fn cost_takes_a_named_model_with_named_arguments() {
    let src = "cost impact(volume = vol, close = px, base = 2bps, vol_coeff = 1.0,\n  adv_coeff = 5.0, min = 1bps, max = 50bps,)";
    let StmtKind::Cost { cost: CostSpec::Model(m) } = one(src) else { panic!() };
    assert_eq!(m.name.name, "impact");
    let keys: Vec<&str> = m.args.iter().map(|(k, _)| k.name.as_str()).collect();
    assert_eq!(keys, ["volume", "close", "base", "vol_coeff", "adv_coeff", "min", "max"]);
    assert_eq!(&src[m.span.start as usize..m.span.end as usize], &src[5..]);
    assert_eq!(
        program_tree(&parse("cost impact(volume = vol, adv = sma(vol * px, 20))")),
        "cost impact\n├─ volume =\n│  └─ name vol\n└─ adv =\n   └─ call sma\n      ├─ binary *\n      │  ├─ name vol\n      │  └─ name px\n      └─ number 20\n"
    );
    // `name == value` is a comparison, so the call is an ordinary expression, not a model.
    let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost impact(x == 1)") else { panic!() };
    assert!(matches!(e.kind, ExprKind::Call(ref f, _) if f.name == "impact"));
    // A model takes at least one argument; `f()` is a call.
    assert!(matches!(one("cost f()"), StmtKind::Cost { cost: CostSpec::Rate(_) }));
}

#[test]
fn capital_takes_an_expression() {
    let StmtKind::Capital { value } = one("capital 10000000") else { panic!() };
    assert!(matches!(value.kind, ExprKind::Number(ref l) if l.value == 1e7 && l.unit == Unit::None));
    assert_eq!(program_tree(&parse("capital cap\ncapital 1e6")), "capital\n└─ name cap\ncapital\n└─ number 1e6\n");
}

#[test]
fn kill_has_a_trip_a_release_and_a_scale() {
    let src = "kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70\n     release when mkt.vix < 25\n     scale 50%\n";
    let StmtKind::Kill { name, trip, release, scale } = one(src) else { panic!() };
    assert_eq!(name.name, "crash");
    assert!(matches!(trip.kind, ExprKind::Binary(BinOp::Or, _, _)));
    assert!(release.is_some() && scale.is_some());
    assert_eq!(
        program_tree(&parse(src)),
        "kill crash\n\
         ├─ when\n\
         │  └─ binary or\n\
         │     ├─ binary or\n\
         │     │  ├─ binary <\n\
         │     │  │  ├─ field .drawdown\n\
         │     │  │  │  └─ name own\n\
         │     │  │  └─ unary -\n\
         │     │  │     └─ number 15%\n\
         │     │  └─ binary <\n\
         │     │     ├─ field .day_return\n\
         │     │     │  └─ name own\n\
         │     │     └─ unary -\n\
         │     │        └─ number 5%\n\
         │     └─ binary >\n\
         │        ├─ field .vix\n\
         │        │  └─ name mkt\n\
         │        └─ number 70\n\
         ├─ release when\n\
         │  └─ binary <\n\
         │     ├─ field .vix\n\
         │     │  └─ name mkt\n\
         │     └─ number 25\n\
         └─ scale\n   \
            └─ number 50%\n"
    );
    // `release` and `scale` are optional in the syntax (the checker says which is missing).
    let StmtKind::Kill { release, scale, .. } = one("kill k when x > 1 scale 50%") else { panic!() };
    assert!(release.is_none() && scale.is_some());
    let StmtKind::Kill { release, scale, .. } = one("kill k when x > 1 release when x < 1") else { panic!() };
    assert!(release.is_some() && scale.is_none());
    assert_eq!(program_tree(&parse("kill k when x release when y")), "kill k\n├─ when\n│  └─ name x\n└─ release when\n   └─ name y\n");
    // The clauses come in order: trip, release, scale.
    let (_, d) = source_to_ast("kill k when x > 1 scale 50% release when x < 1");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "strat::syntax::unexpected");
}

#[test]
fn the_new_words_stay_valid_names() {
    // `kill` and `capital` lead statements, `release` and `scale` are clause words: all four
    // remain names everywhere else, as `universe` and `rebalance` do.
    let p = parse(
        "data capital = csv(\"a.csv\")\nlet kill = capital.vix > 30\nlet scale = if kill then 50% else 100%\nlet release = scale\n\
         kill k when kill release when not kill scale release\nreport r = scale",
    );
    let kinds: Vec<&str> = p
        .stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Data { .. } => "data",
            StmtKind::Let { .. } => "let",
            StmtKind::Kill { .. } => "kill",
            StmtKind::Report { .. } => "report",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["data", "let", "let", "let", "kill", "report"]);
}

/// Every statement re-parsed from its own span gives the same tree: spans cover exactly what
/// the statement is (also across lines and with trailing comments).
#[test]
fn portfolio_statements_round_trip_through_their_spans() {
    let src = "capital 10000000   // currency units\n\
               cost impact(volume = vol, base = 2bps, vol_coeff = 1.0, adv_coeff = 5.0, min = 1bps, max = 50bps)\n\
               kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70\n  release when mkt.vix < 25\n  scale 50%  // halve\n\
               kill slow when sma(own.day_return, 20) < 0 release when own.drawdown > -5% scale cut\n\
               report crash_on = crash\n";
    let p = parse(src);
    assert_eq!(p.stmts.len(), 5);
    for s in &p.stmts {
        let text = &src[s.span.start as usize..s.span.end as usize];
        let again = parse(text);
        assert_eq!(again.stmts.len(), 1, "{text}");
        assert_eq!(program_tree(&again), program_tree(&Program { stmts: vec![s.clone()] }), "{text}");
    }
    for alone in ["cost 10bps", "cost c", "cost clamp(2bps + 0.5 * std(ret(stocks), 60), 1bps, 50bps)", "capital cap"] {
        let p = parse(alone);
        let s = &p.stmts[0];
        assert_eq!(&alone[s.span.start as usize..s.span.end as usize], alone);
    }
}

#[test]
fn target_vol_and_limits_parse_with_their_clauses() {
    let StmtKind::VolTarget { lookback, cap, .. } = one("target_vol 10% lookback 60 cap 2") else { panic!() };
    assert!(lookback.is_some() && cap.is_some());
    let StmtKind::VolTarget { lookback, cap, .. } = one("target_vol v") else { panic!() };
    assert!(lookback.is_none() && cap.is_none());
    let StmtKind::Limit { kind, .. } = one("limit gross 150%") else { panic!() };
    assert_eq!(kind.name, "gross");
    let StmtKind::Limit { kind, .. } = one("limit weight 25%") else { panic!() };
    assert_eq!(kind.name, "weight");
    // `cap` and `limit` stay valid names.
    let StmtKind::VolTarget { cap: Some(c), .. } = one("target_vol 10% lookback 60 cap cap") else { panic!() };
    assert!(matches!(c.kind, ExprKind::Name(ref n) if n.name == "cap"), "{c:?}");
    assert!(matches!(one("let limit = 1"), StmtKind::Let { .. }));
    // A clause out of order is a syntax error.
    assert!(!source_to_ast("target_vol 10% cap 2 lookback 60").1.is_empty());
}
