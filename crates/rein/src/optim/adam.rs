use burn::tensor::{Tensor, TensorData};

use super::param_groups::{ParamGroup, ParamGroups};
use super::slots::{Slot, SlotState};
use super::{ParamGrads, ParamSet, PrimalOptimizer, WeightDecay, update_each};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{Result, ensure_hparam, ensure_non_negative};

/// Configuration of [`Adam`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator epsilon.
    pub eps: f64,
    /// Weight decay.
    pub weight_decay: WeightDecay,
}

impl AdamConfig {
    /// Adam with learning rate `lr`, betas `(0.9, 0.999)`, `eps = 1e-8`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: WeightDecay::None,
        }
    }
    /// Sets the betas.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// Sets epsilon.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the weight decay.
    pub fn weight_decay(mut self, w: WeightDecay) -> Self {
        self.weight_decay = w;
        self
    }
}

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019):
///
/// ```text
/// t <- t + 1;  g <- g + w x (L2)  |  x <- x (1 - lr w) (decoupled)
/// m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
/// x <- x - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
/// ```
///
/// `t` is counted per parameter (a parameter without gradient in a step does not advance).
#[derive(Debug, Clone)]
pub struct Adam {
    config: AdamConfig,
    groups: ParamGroups,
    state: SlotState,
}

const SLOTS: [&str; 2] = ["m", "v"];

impl Adam {
    /// Builds Adam; invalid hyper-parameters are errors naming the field.
    pub fn new(config: AdamConfig) -> Result<Self> {
        let c = &config;
        ensure_non_negative("lr", c.lr)?;
        ensure_hparam(
            (0.0..1.0).contains(&c.beta1),
            "beta1",
            c.beta1,
            "must be in [0, 1)",
        )?;
        ensure_hparam(
            (0.0..1.0).contains(&c.beta2),
            "beta2",
            c.beta2,
            "must be in [0, 1)",
        )?;
        ensure_hparam(c.eps > 0.0, "eps", c.eps, "must be > 0")?;
        c.weight_decay.validate()?;
        Ok(Self {
            config,
            groups: ParamGroups::default(),
            state: SlotState::default(),
        })
    }

    /// AdamW: Adam with decoupled weight decay `w`.
    pub fn adamw(lr: f64, w: f64) -> Result<Self> {
        Self::new(AdamConfig::new(lr).weight_decay(WeightDecay::Decoupled(w)))
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        self.config.weight_decay.check_group(&group)?;
        self.groups.push(group)?;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// The update of one flattened parameter: in one host pass on flex `f32`
    /// ([`adam_host`](super::adam_host), the same bits), else with tensor ops.
    fn rule(
        &mut self,
        path: &str,
        x: Tensor<1>,
        g: Tensor<1>,
        g_host: Option<&TensorData>,
    ) -> Tensor<1> {
        self.rule_with(path, x, g, g_host, super::adam_host::applies)
    }

    /// [`Adam::rule`], taking the host pass where `host(&x)` holds. `g_host` is a host copy of
    /// `g` that the pass may use instead of reading `g` (ignored when weight decay changes the
    /// gradient).
    fn rule_with(
        &mut self,
        path: &str,
        x: Tensor<1>,
        g: Tensor<1>,
        g_host: Option<&TensorData>,
        host: impl Fn(&Tensor<1>) -> bool,
    ) -> Tensor<1> {
        let c = &self.config;
        let (lr, w) = self.groups.resolve(path, c.lr, c.weight_decay.value());
        let g_host = g_host.filter(|_| !c.weight_decay.changes_gradient(w));
        let (x, g) = c.weight_decay.apply(w, lr, x, g);
        let (b1, b2, eps) = (c.beta1, c.beta2, c.eps);
        let e = self.state.entry(path, 2);
        e.step += 1;
        let t = e.step as i32;
        if host(&x) {
            let step = super::adam_host::AdamStep {
                b1,
                b2,
                eps,
                lr,
                bc1: 1.0 - b1.powi(t),
                bc2: 1.0 - b2.powi(t),
            };
            let (m, v) = (e.slots[0].take(&x), e.slots[1].take(&x));
            let (x, m, v) = super::adam_host::update(x, &g, g_host, m, v, step);
            e.slots[0] = Slot::Live(m);
            e.slots[1] = Slot::Live(v);
            return x;
        }
        let m = match e.slots[0].take(&x) {
            Some(m) => m.mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1),
            None => g.clone().mul_scalar(1.0 - b1),
        };
        let g2 = g.clone() * g;
        let v = match e.slots[1].take(&x) {
            Some(v) => v.mul_scalar(b2) + g2.mul_scalar(1.0 - b2),
            None => g2.mul_scalar(1.0 - b2),
        };
        let bc1 = 1.0 - b1.powi(t);
        let bc2 = 1.0 - b2.powi(t);
        let dir = m.clone().div_scalar(bc1) / (v.clone().div_scalar(bc2).sqrt().add_scalar(eps));
        e.slots[0] = Slot::Live(m);
        e.slots[1] = Slot::Live(v);
        x - dir.mul_scalar(lr)
    }
}

impl PrimalOptimizer for Adam {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        update_each(params, grads, |path, x, g| {
            self.rule(path, x, g, grads.host_copy(path))
        });
        Ok(())
    }
    super::lr_accessors!();
}

impl Stateful for Adam {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.state.save(prefix, &SLOTS, out)
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.state = SlotState::load(prefix, &SLOTS, dict)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    fn bits(t: &Tensor<1>) -> Vec<u32> {
        t.to_data()
            .try_to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    }

    /// The host pass gives the tensor form's bits: values, moments and their checkpoint, over
    /// steps whose gradients include zeros of both signs and a wide range of magnitudes, with
    /// and without weight decay and parameter groups.
    #[test]
    fn host_pass_matches_the_tensor_form_bit_for_bit() {
        let device = Device::flex();
        // With `threads`, long enough for the host pass to split over rayon's pool.
        let n = if cfg!(feature = "threads") {
            (1 << 17) + 1003
        } else {
            1003
        };
        let x0: Vec<f32> = (0..n)
            .map(|i| ((i * 37) % 101) as f32 / 25.0 - 2.0)
            .collect();
        let grad = |step: usize| -> Tensor<1> {
            let g: Vec<f32> = (0..n)
                .map(|i| match (i + step) % 7 {
                    0 => 0.0,
                    1 => -0.0,
                    k => ((i * 13 + step * 5) % 17) as f32 * 10f32.powi(k as i32 - 4) - 0.3,
                })
                .collect();
            Tensor::from_data(TensorData::new(g, [n]), &device)
        };
        let configs = [
            AdamConfig::new(1e-2),
            AdamConfig::new(3e-3).weight_decay(WeightDecay::Decoupled(0.1)),
            AdamConfig::new(1e-3)
                .betas(0.8, 0.99)
                .eps(1e-6)
                .weight_decay(WeightDecay::L2(0.01)),
        ];
        for config in configs {
            let mut host = Adam::new(config.clone()).unwrap();
            let mut tensor = Adam::new(config.clone()).unwrap();
            let mut xh = Tensor::<1>::from_data(TensorData::new(x0.clone(), [n]), &device);
            let mut xt = xh.clone();
            for step in 0..5 {
                // Odd steps hand the host pass a host copy of the gradient, as after
                // `ParamGrads::check_finite` (ignored under L2 decay, which changes it).
                let g_copy = grad(step).into_data();
                let g_host = (step % 2 == 1).then_some(&g_copy);
                xh = host.rule_with("w", xh, grad(step), g_host, |_| true);
                xt = tensor.rule_with("w", xt, grad(step), None, |_| false);
                assert_eq!(bits(&xh), bits(&xt), "{config:?} step {step}");
            }
            let (mut a, mut b) = (StateDict::default(), StateDict::default());
            host.save_state("adam", &mut a).unwrap();
            tensor.save_state("adam", &mut b).unwrap();
            for slot in ["m", "v"] {
                let key = format!("adam/w/{slot}");
                let (da, db) = (a.get_data(&key).unwrap(), b.get_data(&key).unwrap());
                assert_eq!(da.as_bytes(), db.as_bytes(), "{config:?} {slot}");
            }
            // Resumed from the checkpoint (slots `Loaded`, not `Live`), still the same bits.
            let mut resumed = Adam::new(config.clone()).unwrap();
            resumed.load_state("adam", &a).unwrap();
            let xr = resumed.rule_with("w", xh.clone(), grad(5), None, |_| true);
            let xt = tensor.rule_with("w", xt, grad(5), None, |_| false);
            assert_eq!(bits(&xr), bits(&xt), "{config:?} resumed");
        }
    }

    #[test]
    fn the_host_pass_applies_to_flex_f32_only() {
        let x = Tensor::<1>::from_data(TensorData::new(vec![1.0f32; 3], [3]), &Device::flex());
        assert!(super::super::adam_host::applies(&x));
        let tracked = Tensor::<1>::from_data(
            TensorData::new(vec![1.0f32; 3], [3]),
            &Device::flex().autodiff(),
        );
        assert!(super::super::adam_host::applies(&tracked));
    }
}
