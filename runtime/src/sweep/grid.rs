//! The grid of a sweep: the bindings a program's `param ... in` declarations describe, either
//! walked one at a time ([`GridWalk`], memory that does not grow with the grid) or collected
//! ([`Grid`]). Both come from one enumeration, so a binding has the same index, values and
//! active params in a streamed sweep, a shard and a whole sweep.

use strat_compiler::bind::eval_scalars;
use strat_compiler::program::ParamDomain;
use strat_compiler::Compiled;

/// The bindings of a sweep, in grid order: the first declared param is the outermost loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Param names, in declaration order.
    pub names: Vec<String>,
    /// One value per param for each binding.
    pub bindings: Vec<Vec<f64>>,
    /// Which params take more than one value somewhere in the grid.
    pub varying: Vec<bool>,
    /// For each binding, which params it uses: a param whose `when` condition is false there
    /// keeps its default and is not shown (e.g. the hedge params of a baseline).
    pub active: Vec<Vec<bool>>,
}

/// One binding of a grid, as [`GridWalk`] yields it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Its index in the grid (0-based, grid order).
    pub index: usize,
    /// One value per param, in declaration order.
    pub params: Vec<f64>,
    /// Which params it uses (see [`Grid::active`]).
    pub active: Vec<bool>,
}

/// What a sweep needs to know of its grid before it runs, from one walk that keeps no binding:
/// the number of bindings, which params vary, and the first binding (from which the columns no
/// swept param touches are computed once).
#[derive(Debug, Clone, PartialEq)]
pub struct GridInfo {
    /// Param names, in declaration order.
    pub names: Vec<String>,
    /// Number of bindings.
    pub len: usize,
    /// Which params take more than one value somewhere in the grid (as [`Grid::varying`]).
    pub varying: Vec<bool>,
    /// The first binding's values; `None` for an empty grid (every binding fails a `where`).
    pub first: Option<Vec<f64>>,
}

/// Builds the grid of `compiled`: the cartesian product of every param's values, where a param
/// with `when COND` varies only in bindings where COND (over earlier params) holds and keeps its
/// default elsewhere, minus the bindings that fail a `where` constraint.
pub fn grid(compiled: &Compiled) -> Grid {
    grid_with(compiled, &domain_values(compiled))
}

/// The values each param takes in the grid, in declaration order: its default when fixed, its
/// list when swept, the indices of its choices.
pub fn domain_values(compiled: &Compiled) -> Vec<Vec<f64>> {
    compiled
        .program()
        .params
        .iter()
        .map(|p| match &p.domain {
            ParamDomain::Fixed => vec![p.default],
            ParamDomain::Values(v) => v.clone(),
            ParamDomain::Choices(c) => (0..c.len()).map(|i| i as f64).collect(),
        })
        .collect()
}

/// [`grid`] with the values of each param given (`values[i]` for param `i`, in declaration
/// order, none empty) instead of its domain; a param given one value takes it in every binding
/// it uses. `when` conditions and `where` constraints apply as in [`grid`].
///
/// # Panics
/// If `values` has not one list per param or a list is empty (a programming error).
pub fn grid_with(compiled: &Compiled, values: &[Vec<f64>]) -> Grid {
    let mut walk = GridWalk::new(compiled, values.to_vec());
    let mut g = Grid { names: compiled.program().params.iter().map(|p| p.name.clone()).collect(), bindings: vec![], varying: vec![], active: vec![] };
    for b in walk.by_ref() {
        g.bindings.push(b.params);
        g.active.push(b.active);
    }
    g.varying = walk.varying().to_vec();
    g
}

/// What a sweep needs to know of the grid of `values` before it runs ([`GridInfo`]), keeping no
/// binding: without `when` and `where` it is computed from the lists alone (a grid of 10^10
/// bindings is described at once); otherwise the grid is walked once.
///
/// # Panics
/// As [`grid_with`].
pub fn grid_info(compiled: &Compiled, values: &[Vec<f64>]) -> GridInfo {
    let program = compiled.program();
    let names: Vec<String> = program.params.iter().map(|p| p.name.clone()).collect();
    if program.constraints.is_empty() && program.params.iter().all(|p| p.when.is_none()) {
        assert_eq!(values.len(), program.params.len(), "grid_info: one list of values per param");
        assert!(values.iter().all(|v| !v.is_empty()), "grid_info: a param without values");
        let len = values.iter().try_fold(1usize, |n, v| n.checked_mul(v.len())).unwrap_or(usize::MAX);
        // The rule of the walk ([`GridWalk::varying`]): more than one value, or one value other
        // than the default.
        let varying = values.iter().zip(&program.params).map(|(v, p)| v.len() > 1 || v[0].to_bits() != p.default.to_bits()).collect();
        return GridInfo { names, len, varying, first: Some(values.iter().map(|v| v[0]).collect()) };
    }
    let mut walk = GridWalk::new(compiled, values.to_vec());
    let (mut len, mut first) = (0, None);
    for b in walk.by_ref() {
        if first.is_none() {
            first = Some(b.params);
        }
        len += 1;
    }
    GridInfo { names, len, varying: walk.varying().to_vec(), first }
}

/// The bindings of a grid one at a time, in grid order, holding only the current one: an
/// odometer over the params (the last declared param turns fastest). A param whose `when`
/// condition is false for the earlier params' values keeps its default there and does not
/// turn; a binding that fails a `where` constraint is skipped without taking an index.
#[derive(Debug)]
pub struct GridWalk<'a> {
    compiled: &'a Compiled,
    values: Vec<Vec<f64>>,
    defaults: Vec<f64>,
    /// Position of each param in its values (0 when it does not turn).
    pos: Vec<usize>,
    /// How many values each param turns through at the current binding (1 when it does not).
    len: Vec<usize>,
    current: Vec<f64>,
    on: Vec<bool>,
    varying: Vec<bool>,
    started: bool,
    next_index: usize,
}

impl<'a> GridWalk<'a> {
    /// A walk over `values` (one non-empty list per param of `compiled`, in declaration order).
    ///
    /// # Panics
    /// If `values` has not one list per param or a list is empty (a programming error).
    pub fn new(compiled: &'a Compiled, values: Vec<Vec<f64>>) -> GridWalk<'a> {
        let params = &compiled.program().params;
        assert_eq!(values.len(), params.len(), "GridWalk: one list of values per param");
        assert!(values.iter().all(|v| !v.is_empty()), "GridWalk: a param without values");
        let n = values.len();
        let defaults: Vec<f64> = params.iter().map(|p| p.default).collect();
        GridWalk {
            compiled,
            values,
            current: defaults.clone(),
            defaults,
            pos: vec![0; n],
            len: vec![1; n],
            on: vec![true; n],
            varying: vec![false; n],
            started: false,
            next_index: 0,
        }
    }

    /// Which params have turned through more than one value so far; after the walk, those of
    /// the whole grid ([`Grid::varying`]).
    pub fn varying(&self) -> &[bool] {
        &self.varying
    }

    /// Sets params `from..` to their first value at the current values of the earlier params:
    /// each param's `when` is evaluated with the later params at their defaults.
    fn descend(&mut self, from: usize) {
        let program = self.compiled.program();
        let plan = &self.compiled.lowered.plan;
        self.current[from..].copy_from_slice(&self.defaults[from..]);
        for k in from..self.values.len() {
            self.on[k] = match program.params[k].when {
                None => true,
                Some(node) => eval_scalars(plan, &self.current)[node.index()] != 0.0,
            };
            self.pos[k] = 0;
            if !self.on[k] {
                self.len[k] = 1;
                self.current[k] = self.defaults[k];
            } else {
                self.len[k] = self.values[k].len();
                self.current[k] = self.values[k][0];
                // A param varies when it turns, and also when its one value (an override)
                // differs from the default it keeps where its `when` is false: the columns it
                // touches then differ between bindings.
                if self.len[k] > 1 || self.values[k][0].to_bits() != self.defaults[k].to_bits() {
                    self.varying[k] = true;
                }
            }
        }
    }

    /// Moves to the next combination of values (before constraints); false when none is left.
    fn advance(&mut self) -> bool {
        if !self.started {
            self.started = true;
            self.descend(0);
            return true;
        }
        let Some(k) = (0..self.values.len()).rev().find(|&k| self.pos[k] + 1 < self.len[k]) else {
            return false;
        };
        self.pos[k] += 1;
        self.current[k] = self.values[k][self.pos[k]];
        self.descend(k + 1);
        true
    }

    /// Whether the current combination passes every `where` constraint.
    fn admitted(&self) -> bool {
        let constraints = &self.compiled.program().constraints;
        if constraints.is_empty() {
            return true;
        }
        let scalars = eval_scalars(&self.compiled.lowered.plan, &self.current);
        constraints.iter().all(|c| scalars[c.index()] != 0.0)
    }
}

impl Iterator for GridWalk<'_> {
    type Item = Binding;

    fn next(&mut self) -> Option<Binding> {
        while self.advance() {
            if self.admitted() {
                let b = Binding { index: self.next_index, params: self.current.clone(), active: self.on.clone() };
                self.next_index += 1;
                return Some(b);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(src: &str) -> Compiled {
        let mut columns = |_: &str| Ok(vec!["close".to_string()]);
        let (c, diags) = strat_compiler::compile(src, "g", &mut columns);
        c.unwrap_or_else(|| panic!("{diags:?}"))
    }

    /// A grid with a choice param, a param that turns only under `when`, one under another
    /// `when`, a fixed param and a `where` constraint.
    const PROGRAM: &str = "strategy g\ndata d = csv(\"x.csv\")\n\
        param m in [base, hedge, full]\n\
        param t in [1, 2, 3] when m == hedge\n\
        param k in [10, 20] when m != base\n\
        param z = 5\n\
        where t + k != 22\n\
        hold d.close weight t * k * z / 1000\n";

    /// The same grid written out by hand: m = base keeps t and k at their defaults (the first
    /// value) and off; m = hedge turns t and k; m = full turns k only; `t + k != 22` drops
    /// (hedge, 2, 20) and, with t at its default 1, nothing else.
    fn by_hand() -> Vec<(Vec<f64>, Vec<bool>)> {
        let mut g = vec![(vec![0.0, 1.0, 10.0, 5.0], vec![true, false, false, true])];
        for t in [1.0, 2.0, 3.0] {
            for k in [10.0, 20.0] {
                if t + k != 22.0 {
                    g.push((vec![1.0, t, k, 5.0], vec![true; 4]));
                }
            }
        }
        for k in [10.0, 20.0] {
            g.push((vec![2.0, 1.0, k, 5.0], vec![true, false, true, true]));
        }
        g
    }

    #[test]
    fn the_walk_enumerates_the_grid_in_order_with_when_and_where() {
        let c = compiled(PROGRAM);
        let g = grid(&c);
        let want = by_hand();
        assert_eq!(g.bindings, want.iter().map(|w| w.0.clone()).collect::<Vec<_>>());
        assert_eq!(g.active, want.iter().map(|w| w.1.clone()).collect::<Vec<_>>());
        assert_eq!(g.varying, vec![true, true, true, false]);
        let walked: Vec<Binding> = GridWalk::new(&c, domain_values(&c)).collect();
        assert_eq!(walked.iter().map(|b| b.index).collect::<Vec<_>>(), (0..want.len()).collect::<Vec<_>>());
        let info = grid_info(&c, &domain_values(&c));
        assert_eq!((info.len, info.first.as_deref(), &info.varying[..]), (want.len(), Some(&want[0].0[..]), &g.varying[..]));
    }

    #[test]
    fn a_param_given_one_value_takes_it_and_does_not_vary() {
        let c = compiled(PROGRAM);
        let mut values = domain_values(&c);
        values[1] = vec![3.0];
        let g = grid_with(&c, &values);
        assert!(g.bindings.iter().zip(&g.active).all(|(b, a)| !a[1] || b[1] == 3.0));
        // It takes 3 where its `when` holds and its default 1 elsewhere: it varies, so the
        // sweep cache does not share the columns it touches.
        assert!(g.varying[1]);
        values[1] = vec![1.0];
        assert!(!grid_with(&c, &values).varying[1], "its default everywhere: fixed");
        // Every binding fails the constraint: an empty grid, and no first binding.
        let c = compiled(&PROGRAM.replace("t + k != 22", "t > 5"));
        assert!(grid(&c).bindings.is_empty());
        assert_eq!(grid_info(&c, &domain_values(&c)).first, None);
        // Without `when` and `where` the description comes from the lists alone, and equals
        // the walk's.
        let c = compiled("strategy g\ndata d = csv(\"x.csv\")\nparam a in [1, 2]\nparam b = 4\nparam c in [7, 8, 9]\nhold d.close weight a * b * c / 100\n");
        let g = grid(&c);
        let info = grid_info(&c, &domain_values(&c));
        assert_eq!((info.len, info.first.as_ref(), &info.varying), (g.bindings.len(), g.bindings.first(), &g.varying));
        assert_eq!(info.len, 6);
    }
}
