//! Minimum and maximum of a benchmark's samples.

/// The samples of one benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// The benchmark's name, as printed.
    pub name: &'static str,
    pub min: u64,
    pub max: u64,
    pub count: u64,
}

impl Stats {
    /// No samples yet.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            min: u64::MAX,
            max: 0,
            count: 0,
        }
    }

    /// Adds the window `end - start`; false if the counter went backwards
    /// (which would make the sample meaningless).
    pub fn add(&mut self, start: u64, end: u64) -> bool {
        let Some(value) = end.checked_sub(start) else {
            return false;
        };
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.count += 1;
        true
    }

    /// Prints the benchmark's line: `bench: <name> min=<n> max=<n>
    /// samples=<k>` (`cargo xtask bench` parses it).
    pub fn print(&self) {
        tessera_rt::println!(
            "bench: {} min={} max={} samples={}",
            self.name,
            self.min,
            self.max,
            self.count
        );
    }
}
