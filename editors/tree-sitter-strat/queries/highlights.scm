; Highlighting for Strat. The keyword lists are checked against the compiler's own word lists
; (strat_grammar::tokens::{KEYWORDS, CONTEXTUAL, BOOLS}) by tests/editor_grammars.rs.

(comment) @comment
(string) @string
(number) @number
(days) @number
(date) @string.special
(boolean) @constant.builtin

; Statement and expression keywords (KEYWORDS).
[
  "strategy" "data" "param" "let" "regime" "hold" "weight" "cost" "annualize" "benchmark"
  "report" "when" "otherwise" "if" "then" "else" "tiers" "universe" "where" "from" "to" "in"
  "sleeve" "ensemble" "weights" "kill" "capital" "panel" "alert" "target_vol" "limit" "use" "cash"
] @keyword

[ "and" "or" "not" ] @keyword.operator

; Words reserved only where they appear (CONTEXTUAL).
[
  "step" "rebalance" "monthly" "weekly" "every" "by" "lookback" "covariance" "constrain"
  "smooth" "ewma" "fallback" "release" "scale" "on" "available" "lag" "cap" "as" "with" "financing" "borrow" "drift" "asof"
] @keyword

[ "+" "-" "*" "/" ">=" "<=" "==" "!=" ">" "<" "=" "=>" "..=" ] @operator

[ "(" ")" "[" "]" "{" "}" ] @punctuation.bracket
[ "," "." ] @punctuation.delimiter

; Calls: builtins and readers, cost models and weighting methods.
(call_expression function: (identifier) @function)
(data_declaration reader: (identifier) @function)
(universe_declaration reader: (identifier) @function)
(panel_declaration reader: (identifier) @function)
(cost_model model: (identifier) @function)
(method_spec name: (identifier) @function)

; Names where they are declared.
(strategy_declaration name: (identifier) @type)
(use_statement name: (identifier) @type)
(data_declaration name: (identifier) @variable)
(universe_declaration name: (identifier) @variable)
(panel_declaration name: (identifier) @variable)
(param_declaration name: (identifier) @constant)
(let_declaration name: (identifier) @variable)
(regime_declaration name: (identifier) @type)
(regime_arm arm: (identifier) @constant)
(ensemble_arm arm: (identifier) @constant)
(sleeve_declaration name: (identifier) @variable)
(weights_declaration name: (identifier) @variable)
(kill_statement name: (identifier) @variable)
(alert_statement name: (identifier) @variable)
(report_statement name: (identifier) @property)

; Columns of a data source, named arguments and constraints.
(field_expression field: (identifier) @property)
(cost_argument name: (identifier) @property)
(method_argument name: (identifier) @property)
(constraint name: (identifier) @property)

(identifier) @variable
