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
    /// Further readings a shell knows (temperatures, browser facts), printed
    /// in key order.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

impl SystemInfo {
    /// One line naming the host, for comparison tables.
    pub fn host_description(&self) -> String {
        let cpu = self.cpu_model.as_deref().unwrap_or("unknown CPU");
        format!("{} ({}, {}, {})", self.device, cpu, self.arch, self.runtime)
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
        lines.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        lines
    }
}
