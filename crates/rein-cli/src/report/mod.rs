//! Run reports: training history (`history.csv`), final metrics (`metrics.json`), PNG plots
//! and a plain-text results table.
//!
//! Every file is written atomically ([`rein_coin::write_atomic`]: a temporary file in the same
//! directory, synced, then renamed over the target), so a crash or a concurrent reader never
//! sees half a file.

// The module lives in the `rein` binary, where any part of this API (or re-export) the CLI
// does not use yet would be reported as dead code or an unused import.
#![allow(dead_code, unused_imports)]

pub mod bars;
pub mod histogram;
pub mod metrics;
pub mod plot;
mod progress;
pub mod scatter;
pub mod table;

pub use bars::plot_grouped_bars;
pub use histogram::plot_histogram;
pub use metrics::{read_metrics_json, write_metrics_json};
pub use plot::{Panel, plot_panel, plot_series, plot_two_panel};
pub use progress::{Bars, progress_bar};
pub use rein_coin::write_atomic;
pub use rein_recipes::History;
pub use scatter::{ScatterPanel, plot_scatter_panels, write_image_grid};
pub use table::{Align, Table};
