//! Command-line syntax. Arguments are parsed and checked here, into plain
//! option values; `commands` turns them into work.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "piedge",
    version,
    about = "Measure how fast a neural network runs on this machine (PiEdge Lab)",
    long_about = "Measure how fast an ONNX model runs on this machine's CPU, the way the PiEdge \
EduKit latency lesson does, and write the same report files (latency.csv, latency_summary.txt, \
latency_results.json, latency_plot.png).\n\nThe old lesson's command works unchanged: \
`piedge --fakedata --model-path model.onnx --warmup 3 --runs 10` is `piedge bench ...`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The largest model file to read, in MB.
    #[arg(long, global = true, value_name = "MB", default_value_t = piedge::limits::MAX_MODEL_MB)]
    pub max_model_mb: u64,
    /// The most memory the model's input tensor may need, in MB.
    #[arg(long, global = true, value_name = "MB", default_value_t = piedge::limits::CLI_MAX_INPUT_MB)]
    pub max_input_mb: u64,
    /// When tract cannot read a model, also print tract's own explanation.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

/// The model file and how its input is shaped: every command that loads a
/// model takes these.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// The ONNX model (its weight file, e.g. model.onnx.data, is read from beside it).
    #[arg(long, value_name = "FILE")]
    pub model_path: PathBuf,
    /// The input's whole shape, e.g. 1,3,224,224, for a model whose input has
    /// free dimensions besides the batch (image size, sequence length).
    #[arg(long, value_name = "N,C,H,W", value_parser = shape)]
    pub input_shape: Option<Shape>,
}

/// How many threads tract may use: every command that runs a model for
/// its time or its output takes this.
#[derive(Args, Debug, Clone, Copy)]
pub struct ThreadsArgs {
    /// Threads tract's operators may use (1 to 64) [default: 1].
    ///
    /// One thread, the default, gives the steady single-core latencies the
    /// lesson is about, and matches the browser lab, which runs on one
    /// thread. Give the number of cores (4 on a Pi 4 or Pi 5) to compare
    /// with onnxruntime and the old lesson's notebook, which use every core
    /// by default. While a command runs, the extra threads keep their
    /// cores busy waiting for work, as onnxruntime's do, so that each
    /// layer's share reaches them at once. Threads beyond the core count
    /// take turns and only add latency.
    #[arg(long, default_value = "1", hide_default_value = true, value_parser = threads, allow_hyphen_values = true)]
    pub threads: usize,
}

/// A tensor shape given on the command line (one value, not a list of
/// values to clap).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape(pub Vec<usize>);

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Benchmark a model's latency and write the four report files.
    Bench(BenchArgs),
    /// Print a model's card: inputs, outputs, operators, parameters, MACs.
    Info(InfoArgs),
    /// Run one inference and print (or save) the output.
    Predict(PredictArgs),
    /// Write the bundled lesson models (tinycnn, mobilenetv2).
    Models(ModelsArgs),
    /// Serve the web lab to a classroom (cross-origin isolated, read-only).
    Serve(ServeArgs),
    /// Show where an inference's time goes, operator by operator.
    Profile(ProfileArgs),
    /// Check PiEdge Lab's own kernels against tract's operators on this CPU.
    SelfCheck(SelfCheckArgs),
    /// Compare two runs: is B faster or slower than A, or no clear difference?
    Compare(CompareArgs),
    /// Time a bare inference loop (the reference for measurement overhead).
    #[command(hide = true)]
    BareLoop(BareLoopArgs),
    /// Print the stamp of the sources this piedge was built from and
    /// whether it carries the web lab (for tests and the curious).
    #[command(hide = true)]
    BundleStamp,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum KernelsArg {
    /// PiEdge Lab's SIMD kernels for depthwise, small dense and pointwise convolutions and max pooling
    #[default]
    Piedge,
    /// tract's own kernels for everything
    Tract,
}

impl From<KernelsArg> for piedge::plan::Kernels {
    fn from(k: KernelsArg) -> Self {
        match k {
            KernelsArg::Piedge => piedge::plan::Kernels::Piedge,
            KernelsArg::Tract => piedge::plan::Kernels::Tract,
        }
    }
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub threads: ThreadsArgs,
    /// Untimed runs first.
    #[arg(long, default_value = "10", value_parser = count, allow_hyphen_values = true)]
    pub warmup: usize,
    /// Profiled runs (times are averaged over them).
    #[arg(long, default_value = "100", value_parser = positive, allow_hyphen_values = true)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = KernelsArg::Piedge)]
    pub kernels: KernelsArg,
    #[arg(long)]
    pub unoptimized: bool,
    /// How many of the slowest nodes to list.
    #[arg(long, default_value = "12", value_parser = count)]
    pub top: usize,
    /// Print the profile as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SelfCheckArgs {
    /// Random shapes per operator.
    #[arg(long, default_value = "50", value_parser = positive, allow_hyphen_values = true)]
    pub cases: usize,
    #[arg(long, default_value = "0", value_parser = seed, allow_hyphen_values = true)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Run A, the one compared against: a latency_results.json (from
    /// `piedge bench` or the lab) or a latency.csv (also the old lesson's).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Run B, compared with A (the ratio is B/A).
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BareLoopArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub threads: ThreadsArgs,
    #[arg(long, default_value = "1", value_parser = count)]
    pub warmup: usize,
    #[arg(long, default_value = "3", value_parser = positive)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = KernelsArg::Piedge)]
    pub kernels: KernelsArg,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Listen on every network interface, so students' devices can connect,
    /// and print the addresses (and a QR code) to give them. Serves HTTPS
    /// as well as HTTP on the port (a page from another machine gets fine
    /// timers only over HTTPS), with a certificate made on first start and
    /// kept in the data folder.
    #[arg(long)]
    pub lan: bool,
    /// With --lan: another name students reach this machine by (one the
    /// school's network gives it), for the HTTPS certificate. Repeatable.
    #[arg(long = "name", value_name = "NAME", value_parser = host_name, requires = "lan")]
    pub names: Vec<String>,
    /// TCP port [default: 8080, or a free one if 8080 is taken]; 0 picks a
    /// free one.
    #[arg(long, value_parser = port)]
    pub port: Option<u16>,
    /// Open the lab in this computer's default browser once it is served.
    #[arg(long)]
    pub open: bool,
    /// Serve this built lab (trunk's dist/) instead of the one built in.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Connections served at once (browsers open about six each); more
    /// are told to retry.
    #[arg(long, default_value = "256", value_parser = positive)]
    pub max_connections: usize,
    /// Connections one client address may hold at once (a browser opens
    /// six per site); more are refused with 429, so that one device's
    /// script cannot take the lab from the rest of the class.
    #[arg(long, default_value_t = crate::clients::PER_CLIENT_CONNECTIONS, value_parser = positive)]
    pub max_connections_per_client: usize,
    /// Print a line for each request (and its answer) on standard error.
    #[arg(long)]
    pub log: bool,
    /// Native benchmarks (the lab's "run on this machine" button) run at
    /// once. 1 keeps them from disturbing each other; more lets a class see
    /// how much they do.
    #[arg(long, default_value = "1", value_parser = concurrent_runs)]
    pub concurrent_runs: usize,
    /// The folder the class board keeps shared runs in (SQLite) [default:
    /// the user's data folder, e.g. ~/.local/share/piedge; printed at start].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Make a new teacher code for the class board and print it (the old
    /// one stops working), e.g. after it was seen by a class.
    #[arg(long)]
    pub new_teacher_code: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub threads: ThreadsArgs,
    /// Feed seeded random inputs (values uniform in [-1, 1)).
    #[arg(
        long,
        conflicts_with = "data_path",
        required_unless_present = "data_path"
    )]
    pub fakedata: bool,
    /// Feed real images: DIR/<class>/*.png|jpg|jpeg|bmp, or DIR/val/<class>/*.
    #[arg(long, value_name = "DIR")]
    pub data_path: Option<PathBuf>,
    /// Untimed runs before measuring.
    #[arg(long, default_value = "1", value_parser = count, allow_hyphen_values = true)]
    pub warmup: usize,
    /// Timed runs.
    #[arg(long, default_value = "3", value_parser = count, allow_hyphen_values = true)]
    pub runs: usize,
    /// Where to write the reports.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Execution providers, as onnxruntime names them; CPUExecutionProvider is tract on the CPU.
    #[arg(long, num_args = 1.., value_delimiter = ',', default_value = "CPUExecutionProvider")]
    pub providers: Vec<String>,
    /// Also write the summary to this file.
    #[arg(long, value_name = "PATH")]
    pub save_summary_as: Option<PathBuf>,
    /// Seed for the fake input and the bootstrap.
    #[arg(long, default_value = "0", value_parser = seed, allow_hyphen_values = true)]
    pub seed: u64,
    /// Run the analysed graph without tract's optimisation.
    #[arg(long)]
    pub unoptimized: bool,
    /// Whose kernels run depthwise, small dense and pointwise convolutions and max pools.
    #[arg(long, value_enum, default_value_t = KernelsArg::Piedge)]
    pub kernels: KernelsArg,
    /// Batch size (fixes a symbolic batch dimension).
    #[arg(long, default_value = "1", value_parser = count, allow_hyphen_values = true)]
    pub batch_size: usize,
    /// How percentiles are computed.
    #[arg(long, value_enum, default_value_t = PercentileArg::Linear)]
    pub percentiles: PercentileArg,
    /// Histogram bins in latency_plot.png: a number, or "auto".
    #[arg(long, default_value = "auto", value_parser = bins)]
    pub bins: piedge::histogram::BinRule,
    /// Every N runs, record the SoC temperature and CPU clock, to see
    /// thermal throttling line up with latency.
    #[arg(long, value_name = "N", value_parser = positive, allow_hyphen_values = true)]
    pub sample_env: Option<usize>,
    /// Print only the summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Testing aid: the clock advances by these latencies (ms, cycled)
    /// instead of measuring; the model still runs.
    #[arg(long, hide = true, value_delimiter = ',', value_name = "MS")]
    pub debug_fake_latencies: Option<Vec<f64>>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum PercentileArg {
    /// numpy's default (linear interpolation)
    Linear,
    /// nearest rank, as onnxruntime's perf tool reports
    NearestRank,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the card as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub threads: ThreadsArgs,
    /// Use a seeded random input.
    #[arg(long, group = "source")]
    pub fakedata: bool,
    /// Use this float32/float64 array as the input.
    #[arg(long, value_name = "FILE.npy", group = "source")]
    pub input: Option<PathBuf>,
    /// Use this image, preprocessed as in the lesson.
    #[arg(long, value_name = "FILE", group = "source")]
    pub image: Option<PathBuf>,
    #[arg(long, default_value = "0", value_parser = seed, allow_hyphen_values = true)]
    pub seed: u64,
    /// Save the (first) output as float32 .npy.
    #[arg(long, value_name = "FILE.npy")]
    pub save_output: Option<PathBuf>,
    /// Save the input that was fed as float32 .npy.
    #[arg(long, value_name = "FILE.npy")]
    pub save_input: Option<PathBuf>,
    #[arg(long)]
    pub unoptimized: bool,
    /// Whose kernels run depthwise, small dense and pointwise convolutions and max pools.
    #[arg(long, value_enum, default_value_t = KernelsArg::Piedge)]
    pub kernels: KernelsArg,
    #[arg(long, default_value = "1", value_parser = count, allow_hyphen_values = true)]
    pub batch_size: usize,
    /// Print the output as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// Directory to write tinycnn.onnx and mobilenetv2.onnx into.
    #[arg(long, default_value = "static/models", value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// The old lesson ran `python -m piedge_edukit.benchmark --fakedata ...`;
/// `piedge --fakedata ...` does the same by assuming `bench` when the first
/// argument is an option other than help or version.
pub fn with_default_subcommand(mut argv: Vec<OsString>) -> Vec<OsString> {
    if argv.len() == 1 {
        // No arguments: a double-clicked piedge.exe, or a teacher trying it.
        argv.extend(["serve".into(), "--open".into()]);
        return argv;
    }
    let first = argv.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let is_global = matches!(first, "-h" | "--help" | "-V" | "--version");
    if first.starts_with("--") && !is_global {
        argv.insert(1, "bench".into());
    }
    argv
}

/// A count: a whole number, zero or more, with a message a student can act on.
fn count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("{n} is negative; give a whole number of 0 or more")),
        Ok(n) => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

/// A tensor shape: sizes of at least 1, separated by commas (or `x`); the
/// lab's input-shape field reads the same syntax.
fn shape(s: &str) -> Result<Shape, String> {
    match piedge::lab::config::parse_input_shape(s)? {
        Some(sizes) => Ok(Shape(sizes)),
        None => Err("give a shape like 1,3,224,224".into()),
    }
}

fn port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| format!("'{s}' is not a port number (0 to 65535)"))
}

/// A DNS name for the certificate: letters, digits, hyphens and dots.
fn host_name(s: &str) -> Result<String, String> {
    let name = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() <= 253 && name.split('.').all(label_ok) {
        Ok(name)
    } else {
        Err(format!(
            "'{s}' is not a host name (letters, digits, hyphens and dots, like pi-lab.school.lan)"
        ))
    }
}

fn positive(s: &str) -> Result<usize, String> {
    match count(s)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// Threads for tract: 1 to `MAX_THREADS`.
fn threads(s: &str) -> Result<usize, String> {
    let max = piedge::limits::MAX_THREADS;
    match count(s)? {
        n if n == 0 || n > max => Err(format!(
            "{n} threads is not possible; give 1 to {max} (this machine has {} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )),
        n => Ok(n),
    }
}

/// At most 16 native runs at once: more would only measure the queue of a
/// machine with a handful of cores.
fn concurrent_runs(s: &str) -> Result<usize, String> {
    match positive(s)? {
        n if n > 16 => Err(format!("{n} is too many; give 1 to 16")),
        n => Ok(n),
    }
}

fn seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("'{s}' is not a seed; give a whole number of 0 or more"))
}

fn bins(s: &str) -> Result<piedge::histogram::BinRule, String> {
    use piedge::histogram::BinRule;
    if s == "auto" {
        return Ok(BinRule::Auto);
    }
    match count(s)? {
        0 => Err("the number of bins must be at least 1".into()),
        n if n > 1000 => Err(format!(
            "{n} bins is more than a chart can show; use at most 1000"
        )),
        n => Ok(BinRule::Count(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_serve_and_open_the_lab() {
        let argv = with_default_subcommand(vec!["piedge".into()]);
        assert_eq!(argv, ["piedge", "serve", "--open"].map(OsString::from));
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Command::Serve(a) => assert!(a.open && !a.lan && a.port.is_none()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counts() {
        assert_eq!(count("3"), Ok(3));
        assert!(count("-1").unwrap_err().contains("negative"));
        assert!(count("ten").unwrap_err().contains("not a whole number"));
    }

    #[test]
    fn thread_counts() {
        assert_eq!(threads("4"), Ok(4));
        assert!(threads("0").unwrap_err().contains("give 1 to 64"));
        assert!(threads("65").unwrap_err().contains("give 1 to 64"));
        assert!(threads("-2").unwrap_err().contains("negative"));
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("1,3,224,224"), Ok(Shape(vec![1, 3, 224, 224])));
        assert_eq!(shape("1x3x32x32"), Ok(Shape(vec![1, 3, 32, 32])));
        assert!(shape("1,0,3").unwrap_err().contains("at least 1"));
        assert!(shape("1,,3").unwrap_err().contains("not a shape"));
        assert!(shape("").is_err());
    }

    #[test]
    fn default_subcommand() {
        let v = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            with_default_subcommand(v(&["piedge", "--fakedata"])),
            v(&["piedge", "bench", "--fakedata"])
        );
        assert_eq!(
            with_default_subcommand(v(&["piedge", "info"])),
            v(&["piedge", "info"])
        );
        assert_eq!(
            with_default_subcommand(v(&["piedge", "--help"])),
            v(&["piedge", "--help"])
        );
    }
}
