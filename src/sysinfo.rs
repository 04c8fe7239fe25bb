//! What machine a result came from. The engine only defines the record; the
//! shells fill it (the CLI from `/proc` and `/sys`, the browser from
//! `navigator`), because reading the machine is exactly what the engine must
//! not do. A reading that a machine does not offer stays `None` and is shown
//! as "unknown", never guessed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// OS, kernel release and architecture in one line, e.g.
    /// "Linux-6.1.0-rpi7-rpi-v8-aarch64".
    pub platform: String,
    /// "Raspberry Pi 4 Model B Rev 1.4", else "PC/Laptop", else "Browser".
    pub device: String,
    pub cpu_model: Option<String>,
    pub arch: String,
    pub os: String,
    pub cpu_count: Option<usize>,
    pub memory_gb: Option<f64>,
    pub cpu_governor: Option<String>,
    pub piedge_version: String,
    /// Where the engine ran: "native" or "browser (<user agent>)".
    pub runtime: String,
    /// cpu0's current, lowest and highest clock in MHz (cpufreq).
    #[serde(default)]
    pub cpu_freq_mhz: Option<f64>,
    #[serde(default)]
    pub cpu_freq_min_mhz: Option<f64>,
    #[serde(default)]
    pub cpu_freq_max_mhz: Option<f64>,
    /// SoC temperature in °C just before and just after the benchmark.
    #[serde(default)]
    pub soc_temp_before_c: Option<f64>,
    #[serde(default)]
    pub soc_temp_after_c: Option<f64>,
    /// The Raspberry Pi firmware's throttling flags (`vcgencmd
    /// get_throttled`) before and after the benchmark.
    #[serde(default)]
    pub throttled_before: Option<u32>,
    #[serde(default)]
    pub throttled_after: Option<u32>,
    /// Further readings a shell knows (browser facts), printed in key order.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// Above this SoC temperature a Raspberry Pi's firmware starts to lower the
/// CPU clock (the soft limit of the Pi 4 and 5; the hard limit is 85 °C).
/// "1 thread", "4 threads": how reports and the CLI name a thread count.
pub fn threads_text(n: usize) -> String {
    if n == 1 {
        "1 thread".into()
    } else {
        format!("{n} threads")
    }
}

pub const THROTTLE_TEMP_C: f64 = 80.0;

/// The meaning of each bit of `vcgencmd get_throttled`, as the firmware
/// documents it. The low bits describe now, the high bits "since boot".
pub const THROTTLE_BITS: [(u32, &str); 8] = [
    (0, "under-voltage now"),
    (1, "ARM frequency capped now"),
    (2, "throttled now"),
    (3, "soft temperature limit active now"),
    (16, "under-voltage has occurred"),
    (17, "ARM frequency capping has occurred"),
    (18, "throttling has occurred"),
    (19, "soft temperature limit has occurred"),
];

/// The flags set in a `get_throttled` value, in words.
pub fn throttle_flags(bits: u32) -> Vec<&'static str> {
    THROTTLE_BITS
        .iter()
        .filter(|(b, _)| bits & (1 << b) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// Temperature and clock read during a run (`piedge bench --sample-env N`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvSample {
    /// How many runs (warmup and timed together) had finished.
    pub after_runs: usize,
    pub soc_temp_c: Option<f64>,
    pub cpu_freq_mhz: Option<f64>,
}

impl SystemInfo {
    /// One line naming the host, for comparison tables.
    pub fn host_description(&self) -> String {
        self.host_with_threads(1)
    }

    /// [`Self::host_description`] of a run on `threads` threads: one is
    /// not mentioned (every run was single-threaded before `--threads`),
    /// more are, so nobody compares a four-core run with a one-core one
    /// unknowingly.
    pub fn host_with_threads(&self, threads: usize) -> String {
        let cpu = self.cpu_model.as_deref().unwrap_or("unknown CPU");
        let threads = match threads {
            0 | 1 => String::new(),
            n => format!(", {}", threads_text(n)),
        };
        format!(
            "{} ({}, {}, {}{threads})",
            self.device, cpu, self.arch, self.runtime
        )
    }

    /// The `key: value` lines of the summary's "System Information" block.
    pub fn summary_lines(&self) -> Vec<(String, String)> {
        let unknown = || "unknown".to_string();
        let mut lines = vec![
            (
                "cpu_count".to_string(),
                self.cpu_count.map_or_else(unknown, |c| c.to_string()),
            ),
            (
                "memory_gb".to_string(),
                self.memory_gb.map_or_else(unknown, |m| format!("{m:.2}")),
            ),
            ("piedge_version".to_string(), self.piedge_version.clone()),
            (
                "cpu_governor".to_string(),
                self.cpu_governor.clone().unwrap_or_else(unknown),
            ),
            (
                "cpu_model".to_string(),
                self.cpu_model.clone().unwrap_or_else(unknown),
            ),
            ("arch".to_string(), self.arch.clone()),
            ("os".to_string(), self.os.clone()),
            ("runtime".to_string(), self.runtime.clone()),
        ];
        let mhz = |f: Option<f64>| f.map_or_else(unknown, |f| format!("{f:.0} MHz"));
        let celsius = |t: Option<f64>| t.map_or_else(unknown, |t| format!("{t:.1} °C"));
        let flags = |f: Option<u32>| {
            f.map_or_else(unknown, |f| {
                let words = throttle_flags(f);
                if words.is_empty() {
                    format!("{f:#x} (none)")
                } else {
                    format!("{f:#x} ({})", words.join(", "))
                }
            })
        };
        lines.extend([
            ("cpu_freq".to_string(), mhz(self.cpu_freq_mhz)),
            ("cpu_freq_min".to_string(), mhz(self.cpu_freq_min_mhz)),
            ("cpu_freq_max".to_string(), mhz(self.cpu_freq_max_mhz)),
            (
                "soc_temp_before".to_string(),
                celsius(self.soc_temp_before_c),
            ),
            ("soc_temp_after".to_string(), celsius(self.soc_temp_after_c)),
            ("throttled_before".to_string(), flags(self.throttled_before)),
            ("throttled_after".to_string(), flags(self.throttled_after)),
        ]);
        lines.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        lines
    }

    /// What in these readings makes the latencies less trustworthy, with
    /// what to do about it. Empty when nothing is known to be wrong.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(g) = self.cpu_governor.as_deref().filter(|g| *g != "performance") {
            w.push(format!(
                "the CPU governor is '{g}', not 'performance', so the clock may change during the run; \
                 for steady numbers: echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor"
            ));
        }
        if let Some(t) = self.soc_temp_after_c.filter(|t| *t >= THROTTLE_TEMP_C) {
            w.push(format!(
                "the SoC reached {t:.1} °C (the firmware slows the CPU from {THROTTLE_TEMP_C:.0} °C); \
                 later runs may be slower because of heat, not the model: add a heatsink or fan, or pause between runs"
            ));
        }
        match (self.throttled_before, self.throttled_after) {
            (Some(before), Some(after)) => {
                let new_since_boot = after & !before & 0xF_0000;
                let now = after & 0xF;
                if new_since_boot != 0 || now != 0 {
                    w.push(format!(
                        "the firmware throttled during the run ({}); the latencies include slowed-down runs",
                        throttle_flags(new_since_boot | now).join(", ")
                    ));
                }
            }
            (None, Some(after)) if after & 0xF != 0 => {
                w.push(format!(
                    "the firmware reports: {}",
                    throttle_flags(after & 0xF).join(", ")
                ));
            }
            _ => {}
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi() -> SystemInfo {
        SystemInfo {
            cpu_governor: Some("performance".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_well_set_up_pi_has_no_warnings() {
        let s = SystemInfo {
            soc_temp_before_c: Some(45.0),
            soc_temp_after_c: Some(52.5),
            throttled_before: Some(0),
            throttled_after: Some(0),
            ..pi()
        };
        assert!(s.warnings().is_empty(), "{:?}", s.warnings());
        // Unknown readings are not a problem we know of.
        assert!(pi().warnings().is_empty());
    }

    #[test]
    fn each_problem_is_named_with_what_to_do() {
        let s = SystemInfo {
            cpu_governor: Some("ondemand".into()),
            ..Default::default()
        };
        assert!(s.warnings()[0].contains("'ondemand', not 'performance'"));
        let hot = SystemInfo {
            soc_temp_after_c: Some(82.0),
            ..pi()
        };
        assert!(hot.warnings()[0].contains("82.0 °C"));
        // Throttling that happened before the run (sticky bits already set)
        // is not blamed on it; new sticky bits are.
        let old = SystemInfo {
            throttled_before: Some(0x40000),
            throttled_after: Some(0x40000),
            ..pi()
        };
        assert!(old.warnings().is_empty());
        let during = SystemInfo {
            throttled_before: Some(0),
            throttled_after: Some(0x60000),
            ..pi()
        };
        assert_eq!(
            during.warnings(),
            vec!["the firmware throttled during the run (ARM frequency capping has occurred, throttling has occurred); \
                  the latencies include slowed-down runs"
                .to_string()]
        );
    }

    #[test]
    fn flags_in_words() {
        assert_eq!(
            throttle_flags(0x50005),
            vec![
                "under-voltage now",
                "throttled now",
                "under-voltage has occurred",
                "throttling has occurred"
            ]
        );
        assert!(throttle_flags(0).is_empty());
    }
}
