//! Applies a per-parameter update to every float parameter of a model, by path.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use std::collections::BTreeMap;

/// Calls `f(path, flattened value)` for every float parameter and writes back what it returns
/// (reshaped), keeping the parameter's id, autodiff association and `require_grad` flag. The
/// closure receives values without autodiff, so updates never build graphs.
pub(crate) fn map_params<M: Module>(
    model: M,
    f: &mut dyn FnMut(&str, Tensor<1>) -> Tensor<1>,
) -> M {
    let mut mapper = PathMapper {
        f,
        path: Vec::new(),
    };
    model.map(&mut mapper)
}

struct PathMapper<'a> {
    f: &'a mut dyn FnMut(&str, Tensor<1>) -> Tensor<1>,
    path: Vec<String>,
}

impl ModuleMapper for PathMapper<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let autodiff = tensor.is_autodiff();
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let n = shape.num_elements();
        let flat = tensor.inner().reshape([n]);
        let updated: Tensor<D> = (self.f)(&self.path.join("."), flat).reshape(shape);
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

/// Reads every float parameter of a model as `TensorData`, keyed by path.
pub(crate) fn collect_params<M: Module>(model: &M) -> BTreeMap<String, TensorData> {
    struct Collector {
        path: Vec<String>,
        out: BTreeMap<String, TensorData>,
    }
    impl ModuleVisitor for Collector {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.out.insert(self.path.join("."), param.val().to_data());
        }
    }
    let mut c = Collector {
        path: Vec::new(),
        out: BTreeMap::new(),
    };
    model.visit(&mut c);
    c.out
}
