; Scopes and definitions for Strat: a program is one scope, and a name is declared before it
; is used (spec/language.md, "Names").

(source_file) @local.scope

(data_declaration name: (identifier) @local.definition)
(universe_declaration name: (identifier) @local.definition)
(panel_declaration name: (identifier) @local.definition)
(param_declaration name: (identifier) @local.definition)
(let_declaration name: (identifier) @local.definition)
(regime_declaration name: (identifier) @local.definition)
(sleeve_declaration name: (identifier) @local.definition)
(weights_declaration name: (identifier) @local.definition)
(kill_statement name: (identifier) @local.definition)

; References: names read in expressions (a column after a dot is not one).
(field_expression value: (identifier) @local.reference)
(call_expression arguments: (arguments (identifier) @local.reference))
(binary_expression (identifier) @local.reference)
(unary_expression (identifier) @local.reference)
(if_expression (identifier) @local.reference)
(tiers_expression value: (identifier) @local.reference)
(tier_arm (identifier) @local.reference)
(tier_else (identifier) @local.reference)
(index_expression (identifier) @local.reference)
(parenthesized_expression (identifier) @local.reference)
(let_declaration value: (identifier) @local.reference)
(report_statement value: (identifier) @local.reference)
(hold_statement (identifier) @local.reference)
(hold_statement sleeves: (name_list (identifier) @local.reference))
(weights_declaration members: (name_list (identifier) @local.reference))
(weights_declaration members: (identifier) @local.reference)
(ensemble_statement regime: (identifier) @local.reference)
(panel_declaration universe: (identifier) @local.reference)
