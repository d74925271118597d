//! The terminal display of a run: one plain line per event for logs and tests (any
//! [`std::io::Write`]), or, on a terminal, an indicatif bar with the same lines printed above
//! it.
//!
//! In: [`RunEvent`]s. Out: progress text.

use std::io::Write;

use super::events::{ReportError, Reporter, RunEvent};

/// Writes a run's progress to `out`.
pub struct Display<W: Write> {
    out: W,
    bar: Option<indicatif::ProgressBar>,
    want_bar: bool,
    total: usize,
    index: usize,
}

impl<W: Write> Display<W> {
    /// Plain lines to `out`, one per event.
    pub fn plain(out: W) -> Display<W> {
        Display {
            out,
            bar: None,
            want_bar: false,
            total: 0,
            index: 0,
        }
    }

    /// A bar on the terminal (drawn on stderr by indicatif), the lines printed above it.
    pub fn with_bar(out: W) -> Display<W> {
        Display {
            want_bar: true,
            ..Display::plain(out)
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&mut self, line: String) -> std::io::Result<()> {
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                Ok(())
            }
            None => writeln!(self.out, "{line}"),
        }
    }
}

impl<W: Write> Reporter for Display<W> {
    fn report(&mut self, event: &RunEvent<'_>) -> Result<(), ReportError> {
        match event {
            RunEvent::Started {
                run_id,
                total,
                done,
            } => {
                self.total = *total;
                self.index = *done;
                let already = if *done > 0 {
                    format!(", {done} already recorded")
                } else {
                    String::new()
                };
                self.line(format!("run {run_id}: {total} attempts{already}"))?;
                if self.want_bar {
                    let bar = indicatif::ProgressBar::new(*total as u64);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{bar:30} {pos}/{len} {elapsed_precise} {msg}",
                        )
                        .expect("valid template"),
                    );
                    bar.set_position(*done as u64);
                    self.bar = Some(bar);
                }
            }
            RunEvent::Preparing { what } => self.line(format!("preparing {what}"))?,
            RunEvent::Batch {
                model,
                batch,
                status,
            } => self.line(format!("batch {batch} of {model}: {status}"))?,
            RunEvent::Skipped { skipped } => {
                for s in skipped.iter() {
                    self.line(format!(
                        "skipped: {} on {}: {} (not planned, not counted)",
                        s.model, s.task, s.why
                    ))?;
                }
            }
            RunEvent::AttemptStarted { key } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{} {} #{}", key.task, key.model, key.sample));
                }
            }
            RunEvent::AttemptFinished { record, .. } => {
                self.index += 1;
                let line = format!(
                    "[{}/{}] {} {} #{}: {} ({:.1} s){}",
                    self.index,
                    self.total,
                    record.key.task,
                    record.key.model,
                    record.key.sample,
                    record.outcome(),
                    record.timing.total_ms as f64 / 1000.0,
                    record.error().map(|e| format!(": {e}")).unwrap_or_default()
                );
                self.line(line)?;
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
            RunEvent::Finished { .. } => self.finish(),
        }
        Ok(())
    }
}
