//! `rein coin decode FILE -o out.png`: the `.rcoin` files of `rein l0onie` back to pixels. The
//! format, the decoder and the renderer are the burn-free crate [`rein_coin`].

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use rein_coin::{read_coin, render, write_png};

/// `rein coin ...`.
#[derive(Debug, Subcommand)]
pub enum CoinCommand {
    /// Decode a compressed `.rcoin` image into a PNG.
    Decode(DecodeArgs),
}

/// Options of `rein coin decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The `.rcoin` file.
    pub file: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Whether `a` and `b` name the same existing file (after resolving links and `..`).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Runs `rein coin ...`.
///
/// # Errors
/// As [`read_coin`] and [`write_png`].
pub fn run(command: &CoinCommand) -> Result<()> {
    match command {
        CoinCommand::Decode(args) => {
            if same_file(&args.file, &args.output) {
                anyhow::bail!(
                    "{}: the output would overwrite the compressed input; choose another -o",
                    args.output.display()
                );
            }
            let image = read_coin(&args.file)?;
            write_png(&args.output, &render(&image))?;
            let bits = 8 * std::fs::metadata(&args.file)?.len();
            println!(
                "{}: {}x{} image, SIREN widths {:?}, {} nonzero fp16 values ({:?}), \
                 {:.4} bpp -> {}",
                args.file.display(),
                image.height,
                image.width,
                image.weights.widths,
                image.weights.nnz(),
                image.encoding,
                bits as f64 / (image.height * image.width) as f64,
                args.output.display()
            );
            Ok(())
        }
    }
}
