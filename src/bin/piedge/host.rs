//! What this machine is, read from `/proc` and `/sys` on Linux. Readings the
//! machine does not offer stay unknown; elsewhere (Windows) all of them do.

use piedge::sysinfo::SystemInfo;
use std::fs;

/// Only Linux has these files. Under wine a Windows build would find the
/// Linux host's through its `Z:` drive and report them as its own.
const LINUX: bool = cfg!(target_os = "linux");

pub fn system_info() -> SystemInfo {
    let arch = std::env::consts::ARCH.to_string();
    let read = |p: &str| {
        fs::read_to_string(p).ok().filter(|_| LINUX).map(|s| {
            s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                .to_string()
        })
    };
    let kernel = read("/proc/sys/kernel/osrelease");
    let os_name = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "windows" => "Windows",
        other => other,
    };
    let platform = match &kernel {
        Some(k) => format!("{os_name}-{k}-{arch}"),
        None => format!("{os_name}-{arch}"),
    };
    let pretty = read("/etc/os-release").and_then(|s| {
        s.lines().find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
    });
    // A Raspberry Pi names itself in the device tree; elsewhere the CPU's
    // name is the best description of the machine.
    let cpu = read("/proc/cpuinfo").and_then(|c| cpu_model(&c));
    let device = read("/proc/device-tree/model")
        .filter(|m| !m.is_empty())
        .or_else(|| cpu.clone())
        .unwrap_or_else(|| "PC/Laptop".to_string());
    let (freq, freq_min, freq_max) = cpu_freq_mhz();
    SystemInfo {
        platform,
        device,
        cpu_model: cpu,
        arch,
        os: pretty.unwrap_or_else(|| std::env::consts::OS.to_string()),
        cpu_count: std::thread::available_parallelism().ok().map(|n| n.get()),
        memory_gb: read("/proc/meminfo").and_then(|m| mem_total_gb(&m)),
        cpu_governor: read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        piedge_version: piedge::VERSION.to_string(),
        runtime: "native".into(),
        cpu_freq_mhz: freq,
        cpu_freq_min_mhz: freq_min,
        cpu_freq_max_mhz: freq_max,
        ..Default::default()
    }
}

/// The SoC (or CPU package) temperature in °C: the thermal zone whose type
/// names the CPU or SoC, else zone 0. `None` where the kernel has none
/// (containers, many virtual machines).
pub fn soc_temp_c() -> Option<f64> {
    if !LINUX {
        return None;
    }
    let zones = fs::read_dir("/sys/class/thermal").ok()?;
    let mut candidates: Vec<std::path::PathBuf> = zones
        .flatten()
        .map(|z| z.path())
        .filter(|p| p.join("temp").is_file())
        .collect();
    candidates.sort();
    let kind = |p: &std::path::Path| {
        fs::read_to_string(p.join("type"))
            .unwrap_or_default()
            .to_lowercase()
    };
    let zone = candidates
        .iter()
        .find(|p| {
            ["cpu", "soc", "x86_pkg"]
                .iter()
                .any(|k| kind(p).contains(k))
        })
        .or(candidates.first())?;
    millidegrees(&fs::read_to_string(zone.join("temp")).ok()?)
}

/// cpu0's current, lowest and highest clock in MHz.
pub fn cpu_freq_mhz() -> (Option<f64>, Option<f64>, Option<f64>) {
    let khz = |name: &str| {
        fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cpufreq/{name}"))
            .ok()
            .filter(|_| LINUX)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(|k| k / 1000.0)
    };
    (
        khz("scaling_cur_freq"),
        khz("cpuinfo_min_freq"),
        khz("cpuinfo_max_freq"),
    )
}

/// The Raspberry Pi firmware's throttling flags, from `vcgencmd
/// get_throttled`; `None` where there is no such command (not a Pi).
pub fn throttled() -> Option<u32> {
    if !LINUX {
        return None;
    }
    let out = std::process::Command::new("vcgencmd")
        .arg("get_throttled")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| parse_throttled(&String::from_utf8_lossy(&out.stdout)))
        .flatten()
}

fn millidegrees(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().map(|m| m / 1000.0)
}

/// `throttled=0x50005` → 0x50005.
fn parse_throttled(s: &str) -> Option<u32> {
    let hex = s.trim().strip_prefix("throttled=")?;
    u32::from_str_radix(hex.trim_start_matches("0x"), 16).ok()
}

/// The CPU's name: "model name" on x86 and 32-bit ARM; on 64-bit ARM the
/// kernel gives only a part number, which names the core.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    let field = |key: &str| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    if let Some(name) = field("model name").filter(|n| !n.is_empty()) {
        return Some(name);
    }
    let part = field("CPU part")?;
    let core = match part.as_str() {
        "0xd03" => "Cortex-A53",
        "0xd04" => "Cortex-A35",
        "0xd05" => "Cortex-A55",
        "0xd07" => "Cortex-A57",
        "0xd08" => "Cortex-A72",
        "0xd0b" => "Cortex-A76",
        _ => return Some(format!("ARM CPU part {part}")),
    };
    Some(core.to_string())
}

fn mem_total_gb(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb * 1024.0 / (1u64 << 30) as f64 * 100.0).round() / 100.0)
}

/// Now, as "YYYY-MM-DD HH:MM:SS UTC". The report says UTC because a Pi often
/// has no time zone configured.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(secs)
}

fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        // date -u -d @1795782146
        assert_eq!(format_utc(1_795_782_146), "2026-11-27 12:22:26 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn cpu_names() {
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n").as_deref(),
            Some("Intel(R) Xeon(R)")
        );
        assert_eq!(
            cpu_model("processor\t: 0\nCPU part\t: 0xd08\n").as_deref(),
            Some("Cortex-A72")
        );
        assert_eq!(cpu_model("nothing"), None);
    }

    #[test]
    fn pi_readings() {
        assert_eq!(parse_throttled("throttled=0x50005\n"), Some(0x50005));
        assert_eq!(parse_throttled("throttled=0x0"), Some(0));
        assert_eq!(parse_throttled("error"), None);
        assert_eq!(millidegrees("48312\n"), Some(48.312));
        assert_eq!(millidegrees(""), None);
    }

    #[test]
    fn memory() {
        assert_eq!(mem_total_gb("MemTotal:       3884076 kB\n"), Some(3.7));
    }
}
