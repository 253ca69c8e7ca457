/**
 * @file Tree-sitter grammar for Strat, the declarative language for trading strategies.
 *
 * It follows `grammar/src/strat.pest` (the compiler's grammar; spec/grammar.md is the prose):
 * statements are keyword-led, newlines are plain whitespace, and an expression may span lines.
 * This grammar is for editors (highlighting, folding, locals); the compiler alone decides what
 * a program means. The keywords here are checked against the compiler's own word lists by
 * `cargo test` (tests/editor_grammars.rs in the workspace root), so the two cannot drift.
 *
 * Regenerate `src/parser.c` after a change: `tree-sitter generate` in this folder (the CLI from
 * crates.io: `cargo install tree-sitter-cli --version 0.27.1 --locked`), then `tree-sitter test`.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  if: -1,
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  // A `tiers` arm ends before a comparison (which starts the next arm), not before arithmetic.
  tier_arm: 5,
  add: 6,
  multiply: 7,
  negate: 8,
  postfix: 9,
};

/** One or more `rule`s separated by commas. */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

module.exports = grammar({
  name: 'strat',

  word: $ => $.identifier,

  // The words no name may be (strat.pest's `keyword`, language v0); the words of language v1
  // (`universe`, `rebalance`, `lag`, ...) mark a statement or clause only where they appear.
  reserved: {
    global: _ => [
      'strategy', 'data', 'param', 'let', 'regime', 'hold', 'weight', 'cost', 'annualize',
      'benchmark', 'report', 'when', 'otherwise', 'if', 'then', 'else', 'and', 'or', 'not',
      'tiers', 'true', 'false',
    ],
  },

  extras: $ => [/\s/, $.comment],

  rules: {
    source_file: $ => repeat($._statement),

    _statement: $ => choice(
      $.strategy_declaration,
      $.data_declaration,
      $.universe_declaration,
      $.panel_declaration,
      $.param_declaration,
      $.let_declaration,
      $.regime_declaration,
      $.hold_statement,
      $.cost_statement,
      $.annualize_statement,
      $.benchmark_statement,
      $.report_statement,
      $.where_statement,
      $.from_statement,
      $.to_statement,
      $.sleeve_declaration,
      $.ensemble_statement,
      $.weights_declaration,
      $.kill_statement,
      $.capital_statement,
      $.vol_target_statement,
      $.limit_statement,
      $.cash_statement,
      $.alert_statement,
      $.use_statement,
    ),

    // ---- declarations ----
    strategy_declaration: $ => seq('strategy', field('name', $.identifier)),

    data_declaration: $ => seq(
      'data', field('name', $.identifier), '=',
      field('reader', $.identifier), '(', field('path', $.string), ')',
      optional('asof'),
    ),

    universe_declaration: $ => seq(
      'universe', field('name', $.identifier), '=',
      field('reader', $.identifier), '(', field('path', $.string),
      optional(seq(',', field('assets', $.name_list))), ')',
    ),

    panel_declaration: $ => seq(
      'panel', field('name', $.identifier), '=',
      field('reader', $.identifier), '(', field('path', $.string), ')',
      optional(seq('on', field('universe', $.identifier))),
      optional(seq('available', field('available', $.identifier))),
      optional(seq('lag', field('lag', $.days))),
    ),

    name_list: $ => seq('[', commaSep1($.identifier), optional(','), ']'),

    param_declaration: $ => seq(
      'param', field('name', $.identifier),
      choice(
        seq('=', field('default', $.signed_number)),
        seq(
          'in', field('domain', choice($.param_list, $.param_range)),
          optional(seq('when', field('condition', $._expression))),
        ),
      ),
    ),

    param_list: $ => seq('[', commaSep1(choice($.signed_number, $.identifier)), optional(','), ']'),

    param_range: $ => seq(
      field('start', $.signed_number), '..=', field('end', $.signed_number),
      'step', field('step', $.number),
    ),

    let_declaration: $ => seq('let', field('name', $.identifier), '=', field('value', $._expression)),

    regime_declaration: $ => seq('regime', field('name', $.identifier), '{', repeat($.regime_arm), '}'),

    regime_arm: $ => seq(
      field('arm', $.identifier),
      choice(seq('when', field('condition', $._expression)), 'otherwise'),
    ),

    sleeve_declaration: $ => seq('sleeve', field('name', $.identifier), '{', $.hold_statement, '}'),

    ensemble_statement: $ => seq(
      'ensemble', 'by', field('regime', $.identifier), '{', repeat($.ensemble_arm), '}',
    ),

    ensemble_arm: $ => seq(field('arm', $.identifier), '=>', field('value', $._expression)),

    weights_declaration: $ => seq(
      'weights', field('name', $.identifier), '=',
      field('members', choice($.name_list, $.identifier)),
      'by', field('method', $.method_spec),
      repeat(choice(
        $.lookback_clause,
        $.rebalance_clause,
        $.covariance_clause,
        $.constrain_clause,
        $.smooth_clause,
        $.fallback_clause,
      )),
    ),

    method_spec: $ => seq(
      field('name', $.identifier),
      optional(seq('(', optional(seq(commaSep1($.method_argument), optional(','))), ')')),
    ),

    method_argument: $ => seq(
      optional(seq(field('name', $.identifier), '=')),
      field('value', $._option_value),
    ),

    _option_value: $ => choice($.signed_number, $.identifier),

    lookback_clause: $ => seq('lookback', $._option_value),

    covariance_clause: $ => seq('covariance', $.method_spec),

    constrain_clause: $ => seq('constrain', commaSep1($.constraint)),

    constraint: $ => seq(field('name', $.identifier), field('value', $._option_value)),

    smooth_clause: $ => seq('smooth', 'ewma', $._option_value),

    fallback_clause: $ => seq('fallback', commaSep1($.identifier)),

    // ---- statements ----
    hold_statement: $ => seq(
      'hold',
      choice(
        // `drift` (after the rebalance clause) only on a hold of an asset or a universe.
        seq(
          field('asset', $._expression),
          'weight', field('weight', $._expression),
          optional($.rebalance_clause),
          optional(field('drift', 'drift')),
        ),
        seq(field('sleeves', $.name_list), 'weight', field('weight', $._expression), optional($.rebalance_clause)),
      ),
    ),

    rebalance_clause: $ => seq('rebalance', choice('monthly', 'weekly', seq('every', $.number))),

    cost_statement: $ => seq('cost', choice($.cost_model, $._expression)),

    cost_model: $ => seq(
      field('model', $.identifier), '(', commaSep1($.cost_argument), optional(','), ')',
    ),

    cost_argument: $ => seq(field('name', $.identifier), '=', field('value', $._expression)),

    kill_statement: $ => seq(
      'kill', field('name', $.identifier), 'when', field('condition', $._expression),
      optional(seq('release', 'when', field('release', $._expression))),
      optional(seq('scale', field('scale', $._expression))),
    ),

    alert_statement: $ => seq(
      'alert', field('name', $.identifier), 'when', field('condition', $._expression),
    ),

    capital_statement: $ => seq('capital', $._expression),

    vol_target_statement: $ => seq(
      'target_vol', field('target', $._expression),
      optional(seq('lookback', field('lookback', $._expression))),
      optional(seq('cap', field('cap', $._expression))),
    ),

    limit_statement: $ => seq('limit', field('kind', choice('weight', $.identifier)), field('value', $._expression)),

    use_statement: $ => seq(
      'use', field('path', $.string), 'as', field('name', $.identifier),
      optional(seq('with', commaSep1($.use_override))),
    ),

    use_override: $ => seq(
      field('param', $.identifier),
      choice(seq('=', field('value', choice($.signed_number, $.identifier))), seq('in', field('domain', choice($.param_list, $.param_range)))),
    ),

    cash_statement: $ => seq(
      'cash', field('rate', $._expression),
      optional(seq('financing', field('financing', $._expression))),
      optional(seq('borrow', field('borrow', $._expression))),
    ),

    annualize_statement: $ => seq('annualize', $.number),

    benchmark_statement: $ => seq('benchmark', $._expression),

    report_statement: $ => seq('report', field('name', $.identifier), '=', field('value', $._expression)),

    where_statement: $ => seq('where', $._expression),

    from_statement: $ => seq('from', $.date),

    to_statement: $ => seq('to', $.date),

    // ---- expressions ----
    _expression: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.if_expression,
      $.tiers_expression,
      $.call_expression,
      $.index_expression,
      $.field_expression,
      $.parenthesized_expression,
      $.number,
      $.boolean,
      $.identifier,
    ),

    binary_expression: $ => choice(
      prec.left(PREC.or, seq(field('left', $._expression), field('operator', 'or'), field('right', $._expression))),
      prec.left(PREC.and, seq(field('left', $._expression), field('operator', 'and'), field('right', $._expression))),
      prec.left(PREC.compare, seq(field('left', $._expression), field('operator', $._comparison_operator), field('right', $._expression))),
      prec.left(PREC.add, seq(field('left', $._expression), field('operator', choice('+', '-')), field('right', $._expression))),
      prec.left(PREC.multiply, seq(field('left', $._expression), field('operator', choice('*', '/')), field('right', $._expression))),
    ),

    unary_expression: $ => choice(
      prec(PREC.not, seq(field('operator', 'not'), field('operand', $._expression))),
      prec(PREC.negate, seq(field('operator', '-'), field('operand', $._expression))),
    ),

    _comparison_operator: _ => choice('>=', '<=', '==', '!=', '>', '<'),

    if_expression: $ => prec.right(PREC.if, seq(
      'if', field('condition', $._expression),
      'then', field('consequence', $._expression),
      'else', field('alternative', $._expression),
    )),

    tiers_expression: $ => seq(
      'tiers', '(', field('value', $._expression), ')',
      '{', repeat($.tier_arm), $.tier_else, '}',
    ),

    tier_arm: $ => prec(PREC.tier_arm, seq(
      field('operator', $._comparison_operator), field('bound', $._expression),
      '=>', field('value', $._expression),
    )),

    tier_else: $ => seq('else', '=>', field('value', $._expression)),

    call_expression: $ => prec(PREC.postfix, seq(
      field('function', $.identifier),
      field('arguments', $.arguments),
    )),

    arguments: $ => seq('(', optional(seq(commaSep1($._expression), optional(','))), ')'),

    index_expression: $ => prec(PREC.postfix, seq(field('value', $._expression), '[', field('index', $._expression), ']')),

    field_expression: $ => prec(PREC.postfix, seq(field('value', $._expression), '.', field('field', $.identifier))),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    // ---- tokens ----
    signed_number: $ => seq(optional('-'), $.number),

    number: _ => token(/[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?(%|bps)?/),

    days: _ => token(/-?[0-9]+d/),

    date: _ => token(/[0-9]{4}-[0-9]{2}-[0-9]{2}/),

    boolean: _ => choice('true', 'false'),

    string: _ => token(seq('"', /[^"\n]*/, '"')),

    identifier: _ => /[\p{L}_][\p{L}\p{N}_]*/,

    comment: _ => token(seq('//', /[^\n]*/)),
  },
});
