//! The training progress bar: the CLI's [`Progress`] for the recipes.

use indicatif::{ProgressBar, ProgressStyle};
use rein_recipes::Progress;

/// A bar of `steps` steps labelled `label`, hidden when `quiet` (logs, CI).
pub fn progress_bar(steps: usize, label: &str, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(steps as u64)
    };
    if let Ok(style) = ProgressStyle::with_template("{prefix:>11} [{bar:30}] {pos}/{len} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar
}

/// One progress bar per phase of a recipe.
#[derive(Debug)]
pub struct Bars {
    quiet: bool,
    bar: Option<ProgressBar>,
}

impl Bars {
    /// Bars on the terminal, or none when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self { quiet, bar: None }
    }
}

impl Progress for Bars {
    fn start(&mut self, label: &str, steps: u64) {
        self.bar = Some(progress_bar(steps as usize, label, self.quiet));
    }
    fn step(&mut self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
    fn skip(&mut self, steps: u64) {
        if let Some(b) = &self.bar {
            b.inc(steps);
        }
    }
    fn message(&mut self, text: &str) {
        if let Some(b) = &self.bar {
            b.set_message(text.to_string());
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}
