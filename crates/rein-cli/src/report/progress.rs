//! The training progress bar shared by the commands.

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `steps` steps labelled `label`, hidden when `quiet` (logs, CI).
pub fn progress_bar(steps: usize, label: &str, quiet: bool) -> Result<ProgressBar> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(steps as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>11} [{bar:30}] {pos}/{len} {msg}")?
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    Ok(bar)
}
