//! The object-safe view of a model that optimizers update: its float parameters, flattened,
//! keyed by module path.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Shape, Tensor};

/// The float parameters of a model, each flattened to one dimension and keyed by its module
/// path (`"layers.0.weight"`), without autodiff.
///
/// [`PrimalOptimizer::update`](super::PrimalOptimizer::update) takes a `ParamSet` instead of
/// the model itself, so that the trait is object safe (`Box<dyn PrimalOptimizer>` picks an
/// optimizer at run time) while the rule still sees every parameter at once (grafting norms,
/// Distributed Shampoo's block assignment). [`ParamSet::of`] reads a model; [`ParamSet::apply`]
/// writes back the parameters that changed, keeping each parameter's id, shape, autodiff
/// association and `require_grad` flag. Tensors are reference-counted handles: reading a model
/// copies no data.
#[derive(Debug, Clone, Default)]
pub struct ParamSet {
    values: BTreeMap<String, (Tensor<1>, Shape)>,
    changed: BTreeMap<String, bool>,
}

impl ParamSet {
    /// Reads every float parameter of `model`.
    pub fn of<M: Module>(model: &M) -> Self {
        let mut v = Reader {
            path: Vec::new(),
            out: BTreeMap::new(),
        };
        model.visit(&mut v);
        Self {
            values: v.out,
            changed: BTreeMap::new(),
        }
    }

    /// The flattened value of the parameter at `path`.
    pub fn get(&self, path: &str) -> Option<&Tensor<1>> {
        self.values.get(path).map(|(t, _)| t)
    }

    /// The shape of the parameter at `path`.
    pub fn shape(&self, path: &str) -> Option<&Shape> {
        self.values.get(path).map(|(_, s)| s)
    }

    /// Replaces the value of the parameter at `path` (same number of elements); returns
    /// `false`, changing nothing, if there is no such parameter or the length differs.
    pub fn set(&mut self, path: &str, value: Tensor<1>) -> bool {
        match self.values.get_mut(path) {
            Some((t, s)) if value.dims()[0] == s.num_elements() => {
                *t = value;
                self.changed.insert(path.to_string(), true);
                true
            }
            _ => false,
        }
    }

    /// Applies `f(path, value)` to the parameter at `path`, if present.
    ///
    /// `f` receives the set's own handle (the set keeps no clone while `f` runs), so a value
    /// that nothing else holds — e.g. the fresh output of the previous update — is uniquely
    /// owned and flex's element-wise ops can write it in place instead of allocating.
    pub fn update(&mut self, path: &str, f: impl FnOnce(Tensor<1>) -> Tensor<1>) {
        if let Some((key, (t, s))) = self.values.remove_entry(path) {
            let n = s.num_elements();
            let next = f(t);
            debug_assert_eq!(next.dims()[0], n, "an update keeps the parameter's length");
            self.values.insert(key, (next, s));
            self.changed.insert(path.to_string(), true);
        }
    }

    /// Parameter paths, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Returns `model` with every parameter that was changed through [`ParamSet::set`] or
    /// [`ParamSet::update`] replaced by its new value; the others are left untouched.
    pub fn apply<M: Module>(self, model: M) -> M {
        if self.changed.is_empty() {
            return model;
        }
        let mut w = Writer {
            set: self,
            path: Vec::new(),
        };
        model.map(&mut w)
    }
}

struct Reader {
    path: Vec<String>,
    out: BTreeMap<String, (Tensor<1>, Shape)>,
}

impl ModuleVisitor for Reader {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let shape = value.shape();
        let n = shape.num_elements();
        self.out
            .insert(self.path.join("."), (value.inner().reshape([n]), shape));
    }
}

struct Writer {
    set: ParamSet,
    path: Vec<String>,
}

impl ModuleMapper for Writer {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let path = self.path.join(".");
        if !self.set.changed.contains_key(&path) {
            return param;
        }
        let Some((value, shape)) = self.set.values.remove(&path) else {
            return param;
        };
        let (id, tensor, mapper) = param.consume();
        let autodiff = tensor.is_autodiff();
        let require_grad = tensor.is_require_grad();
        let updated: Tensor<D> = value.reshape(shape);
        let mut updated = if autodiff {
            updated.autodiff()
        } else {
            updated
        };
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}
