//! The progress bar on stderr for large bulk work (made only when stderr is a terminal).
//!
//! Hand-written rather than indicatif: that crate's rate estimate calls `powf`, which links
//! `libm.so` into the binary, and every plugin action would load it at start-up.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::Progress;

/// Below this many lookups there is no bar: they end before one would be read.
const SHOW_FROM: usize = 2_000;
/// The least time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);
/// Width of the bar itself, in cells.
const WIDTH: usize = 30;

/// A one-line progress bar on stderr, redrawn in place.
#[derive(Default)]
pub struct Bar(Mutex<Option<State>>);

struct State {
    total: usize,
    done: usize,
    started: Instant,
    drawn: Instant,
}

impl State {
    fn draw(&mut self) {
        self.drawn = Instant::now();
        let done = self.done.min(self.total);
        let filled = done * WIDTH / self.total.max(1);
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            done as f64 / seconds
        } else {
            0.0
        };
        let line = format!(
            "\r\x1b[2Klooking up [{}>{}] {done}/{} IPs ({rate:.0}/s)",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        if total < SHOW_FROM {
            return;
        }
        let now = Instant::now();
        let mut state = State {
            total,
            done: 0,
            started: now,
            drawn: now,
        };
        // Drawn at once: a short run should still show what it is doing.
        state.draw();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(state);
        }
    }

    fn advance(&self, done: usize) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(state) = slot.as_mut() {
                state.done += done;
                if state.drawn.elapsed() >= REDRAW {
                    state.draw();
                }
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if slot.take().is_some() {
                let _ = std::io::stderr().write_all(b"\r\x1b[2K");
            }
        }
    }
}
