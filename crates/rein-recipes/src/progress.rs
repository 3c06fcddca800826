//! How a recipe reports its progress: phases of known length, steps, a status message.

/// Receives a recipe's progress (a progress bar in the CLI, nothing in tests). Every method
/// has a default that does nothing.
pub trait Progress {
    /// A phase of `steps` steps starts (`"constrained"`, `"coin h=12"`).
    fn start(&mut self, _label: &str, _steps: u64) {}
    /// One step of the current phase is done.
    fn step(&mut self) {}
    /// `steps` steps of the current phase were done before (a resumed run).
    fn skip(&mut self, steps: u64) {
        for _ in 0..steps {
            self.step();
        }
    }
    /// A short status line for the current phase (loss, violation, multiplier).
    fn message(&mut self, _text: &str) {}
    /// The current phase ended.
    fn finish(&mut self) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}
