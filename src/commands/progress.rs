//! The progress bar on stderr for large bulk work (only made when stderr is a terminal).

use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::Progress;

/// Below this many lookups there is no bar: they end before one would be read.
const SHOW_FROM: usize = 2_000;

/// A progress bar on stderr.
#[derive(Default)]
pub struct Bar(OnceLock<ProgressBar>);

impl Progress for Bar {
    fn start(&self, total: usize) {
        if total < SHOW_FROM {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} IPs ({per_sec}, {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("looking up");
        // Drawn at once: a short run should still show what it is doing.
        bar.tick();
        let _ = self.0.set(bar);
    }

    fn advance(&self, done: usize) {
        if let Some(bar) = self.0.get() {
            bar.inc(done as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.get() {
            bar.finish_and_clear();
        }
    }
}
