//! The classroom's HTTPS: a small certificate authority of this server's own
//! and a server certificate it signs, kept in the data folder so that a
//! device that accepted (or installed) them yesterday need not do it again.
//!
//! Browsers treat a page as a secure context, and so honour the isolation
//! headers that give fine timers, only over HTTPS or from the device itself
//! (`127.0.0.1`, `localhost`). A student's laptop that opens the teacher's
//! LAN address over plain HTTP gets a coarse timer; over HTTPS with this
//! certificate it gets the fine one, after accepting a warning or, with the
//! CA installed by the school's IT, with none.
//!
//! Files in `<data>/tls/`:
//! - `piedge-classroom-ca.crt` and `ca-key.pem`: the CA (10 years), the
//!   certificate to install on managed devices;
//! - `server.crt` and `server-key.pem`: the server's certificate (397 days,
//!   the longest Apple's and Chrome's rules allow), for every name and
//!   address the machine answers on; made again when one is missing, when it
//!   expires within 30 days, or when it was not signed by the CA.
//!
//! A key file that cannot be read is replaced, with a message saying so and
//! what that means for devices that trusted the old one.
//!
//! The CA carries name constraints: it can vouch only for this machine's
//! names (`localhost`, its host name, the `--name`s) and for addresses of
//! local networks (loopback, the private and link-local ranges, and the
//! machine's own other addresses when it was made), so that a device that
//! installed it trusts it for the classroom and nothing else, should its key
//! ever leak. A name outside them (the machine renamed, a new `--name`)
//! is left out of the server certificate, with a note saying how to make a
//! new CA. (A CA an older piedge made has no constraints and covers all.)

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub const CA_FILE: &str = "piedge-classroom-ca.crt";
const CA_KEY_FILE: &str = "ca-key.pem";
const SERVER_FILE: &str = "server.crt";
const SERVER_KEY_FILE: &str = "server-key.pem";
const DAY: Duration = Duration::from_secs(24 * 3600);
const CA_DAYS: u32 = 3650;
const SERVER_DAYS: u32 = 397;
/// A server certificate this close to its end is made again.
const RENEW_DAYS: u32 = 30;
/// Names and addresses one server certificate carries at most: today's,
/// then the ones it already had (a laptop that moves between networks keeps
/// its certificate), up to this many.
const MAX_NAMES: usize = 48;

/// A name or address the server certificate must cover.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Name {
    Dns(String),
    Ip(IpAddr),
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Dns(n) => f.write_str(n),
            Name::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// The certificates in use, ready for rustls.
pub struct Certs {
    pub config: Arc<rustls::ServerConfig>,
    /// The CA certificate (PEM), offered for download at `/piedge-ca.crt`.
    pub ca_pem: String,
    pub ca_path: PathBuf,
    /// What the server certificate covers.
    pub names: Vec<Name>,
    /// What was made or replaced on this start, one line each, for the
    /// console.
    pub notes: Vec<String>,
}

/// The names this machine answers on: `localhost`, its host name (and
/// `<name>.local` for mDNS), `extra` (names the school's network gives it),
/// loopback and every interface address. IPv6 link-local addresses are left
/// out: a browser cannot open them without a zone.
pub fn machine_names(extra: &[String]) -> Vec<Name> {
    let mut names = vec![Name::Dns("localhost".into())];
    if let Some(host) = host_name() {
        if !host.contains('.') {
            names.push(Name::Dns(format!("{host}.local")));
        }
        names.push(Name::Dns(host));
    }
    names.extend(extra.iter().map(|n| Name::Dns(n.to_ascii_lowercase())));
    names.push(Name::Ip(IpAddr::from([127, 0, 0, 1])));
    names.push(Name::Ip(std::net::Ipv6Addr::LOCALHOST.into()));
    for i in if_addrs::get_if_addrs().unwrap_or_default() {
        let ip = i.ip();
        let link_local = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
        if !link_local {
            names.push(Name::Ip(ip));
        }
    }
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// This machine's host name, as the OS has it (no crate: one file on Linux,
/// one variable on Windows; elsewhere the certificate does without it).
fn host_name() -> Option<String> {
    let name = if cfg!(windows) {
        std::env::var("COMPUTERNAME").ok()?
    } else {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()?
    };
    let name = name.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then_some(name)
}

/// Reads the certificates in `dir`, making or replacing what is missing,
/// unreadable, expiring or not covering `wanted`.
pub fn load_or_make(dir: &Path, wanted: &[Name], now: SystemTime) -> Result<Certs> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot make {} for the HTTPS certificates", dir.display()))?;
    let mut notes = vec![];
    let ca_path = dir.join(CA_FILE);
    let (ca_pem, ca_key, ca_is_new) = match read_ca(dir, now) {
        Ok(Some((pem, key))) => (pem, key, false),
        found => {
            if let Err(why) = found {
                notes.push(format!(
                    "the classroom CA in {} could not be used ({why:#}); made a new one, so \
                     devices that installed or accepted the old one must do so again",
                    dir.display()
                ));
            } else {
                notes.push(format!(
                    "made a classroom certificate authority: {} (install it on managed \
                     devices to skip the browser's warning)",
                    ca_path.display()
                ));
            }
            let (pem, key) = make_ca(now, wanted)?;
            write(&ca_path, &pem, false)?;
            write(&dir.join(CA_KEY_FILE), &key.serialize_pem(), true)?;
            (pem, key, true)
        }
    };
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key)
        .context("cannot read back the classroom CA just made")?;
    let ca_der = pem_der(&ca_pem)?;
    let permitted = Permitted::of(&ca_der)?;
    let outside: Vec<String> = wanted
        .iter()
        .filter(|n| !permitted.allows(n))
        .map(Name::to_string)
        .collect();
    if !outside.is_empty() {
        notes.push(format!(
            "{} are outside the names the classroom CA was made for, so the certificate leaves \
             them out; to cover them, delete {} and start again (devices that trusted the old CA \
             must then trust the new one)",
            outside.join(", "),
            dir.display()
        ));
    }
    let wanted: Vec<Name> = wanted
        .iter()
        .filter(|n| permitted.allows(n))
        .cloned()
        .collect();
    let wanted = wanted.as_slice();
    let (server_pem, server_key, names) = match read_server(dir, &ca_der, now) {
        Ok((pem, key, names)) if !ca_is_new && wanted.iter().all(|n| names.contains(n)) => {
            (pem, key, names)
        }
        found => {
            let mut names: Vec<Name> = wanted.to_vec();
            match found {
                Ok((_, _, had)) => {
                    let added: Vec<String> = wanted
                        .iter()
                        .filter(|n| !had.contains(n))
                        .map(Name::to_string)
                        .collect();
                    if !added.is_empty() {
                        notes.push(format!(
                            "made a new server certificate: it now also covers {}",
                            added.join(", ")
                        ));
                    }
                    names.extend(
                        had.into_iter()
                            .filter(|n| !wanted.contains(n) && permitted.allows(n)),
                    );
                    names.truncate(MAX_NAMES);
                }
                Err(why) if !ca_is_new && dir.join(SERVER_KEY_FILE).exists() => notes.push(
                    format!("made a new server certificate ({why:#}); the old one is replaced"),
                ),
                Err(_) => {}
            }
            let (pem, key) = make_server(&names, &issuer, now)?;
            write(&dir.join(SERVER_FILE), &pem, false)?;
            write(&dir.join(SERVER_KEY_FILE), &key.serialize_pem(), true)?;
            (pem, key, names)
        }
    };
    let config = server_config(&server_pem, &ca_der, &server_key)?;
    Ok(Certs {
        config,
        ca_pem,
        ca_path,
        names,
        notes,
    })
}

/// The CA's certificate and key, if both are there; an error if either is
/// there but unusable.
fn read_ca(dir: &Path, now: SystemTime) -> Result<Option<(String, KeyPair)>> {
    let (cert, key) = (dir.join(CA_FILE), dir.join(CA_KEY_FILE));
    if !cert.exists() && !key.exists() {
        return Ok(None);
    }
    let (pem, key_pair, ()) = read_pair(&cert, &key, now, |x509| {
        anyhow::ensure!(x509.is_ca(), "{} is not a CA certificate", cert.display());
        Ok(())
    })?;
    Ok(Some((pem, key_pair)))
}

/// The server certificate and key and the names it covers, if it is whole,
/// signed by the CA and not about to expire.
fn read_server(dir: &Path, ca_der: &[u8], now: SystemTime) -> Result<(String, KeyPair, Vec<Name>)> {
    let (cert, key) = (dir.join(SERVER_FILE), dir.join(SERVER_KEY_FILE));
    let (_, ca) = x509_parser::parse_x509_certificate(ca_der)
        .map_err(|e| anyhow::anyhow!("the CA certificate: {e}"))?;
    read_pair(&cert, &key, now, |x509| {
        anyhow::ensure!(
            x509.verify_signature(Some(ca.public_key())).is_ok(),
            "{} was not signed by this server's CA",
            cert.display()
        );
        Ok(covered(x509))
    })
}

/// A certificate file and its key file: both read and parsed, `check`
/// passed (what this kind of certificate must also be; its answer is
/// returned), the key the certificate's own, and no expiry within
/// `RENEW_DAYS`.
fn read_pair<T>(
    cert: &Path,
    key: &Path,
    now: SystemTime,
    check: impl FnOnce(&x509_parser::certificate::X509Certificate<'_>) -> Result<T>,
) -> Result<(String, KeyPair, T)> {
    let pem = std::fs::read_to_string(cert).with_context(|| format!("{}", cert.display()))?;
    let key_text = std::fs::read_to_string(key).with_context(|| format!("{}", key.display()))?;
    let key_pair = KeyPair::from_pem(&key_text)
        .map_err(|e| anyhow::anyhow!("{} is not a private key: {e}", key.display()))?;
    let der = pem_der(&pem).with_context(|| format!("{}", cert.display()))?;
    let (_, x509) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| anyhow::anyhow!("{} is not a certificate: {e}", cert.display()))?;
    let found = check(&x509)?;
    anyhow::ensure!(
        x509.public_key().raw == rcgen::PublicKeyData::subject_public_key_info(&key_pair),
        "{} does not belong to {}",
        key.display(),
        cert.display()
    );
    anyhow::ensure!(
        expires_after(&x509, now, RENEW_DAYS),
        "{} expires within {RENEW_DAYS} days",
        cert.display()
    );
    Ok((pem, key_pair, found))
}

/// The DNS names and IP addresses a certificate is valid for.
pub fn covered(x509: &x509_parser::certificate::X509Certificate<'_>) -> Vec<Name> {
    use x509_parser::extensions::GeneralName;
    let Ok(Some(san)) = x509.subject_alternative_name() else {
        return vec![];
    };
    san.value
        .general_names
        .iter()
        .filter_map(|g| match g {
            GeneralName::DNSName(n) => Some(Name::Dns(n.to_string())),
            GeneralName::IPAddress(b) => match b.len() {
                4 => Some(Name::Ip(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?))),
                16 => Some(Name::Ip(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn expires_after(
    x509: &x509_parser::certificate::X509Certificate<'_>,
    now: SystemTime,
    days: u32,
) -> bool {
    let limit = now + DAY * days;
    let limit_s = limit
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    x509.validity().not_after.timestamp() > limit_s
}

/// What a CA may vouch for: `None` for a CA without name constraints.
struct Permitted(Option<Vec<Subtree>>);

/// One permitted subtree: a DNS name and its subdomains, or a network.
enum Subtree {
    Dns(String),
    Net(IpAddr, u8),
}

impl Permitted {
    /// The permitted subtrees of the CA certificate `der`.
    fn of(der: &[u8]) -> Result<Permitted> {
        use x509_parser::extensions::GeneralName;
        let (_, ca) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| anyhow::anyhow!("the CA certificate: {e}"))?;
        let constraints = ca
            .name_constraints()
            .map_err(|e| anyhow::anyhow!("the CA's name constraints: {e}"))?;
        let Some(constraints) = constraints else {
            return Ok(Permitted(None));
        };
        let subtrees = constraints
            .value
            .permitted_subtrees
            .iter()
            .flatten()
            .filter_map(|t| match t.base {
                GeneralName::DNSName(d) => Some(Subtree::Dns(d.to_ascii_lowercase())),
                GeneralName::IPAddress(b) if b.len() == 8 || b.len() == 32 => {
                    let (addr, mask) = b.split_at(b.len() / 2);
                    let prefix = mask.iter().map(|m| m.count_ones()).sum::<u32>() as u8;
                    let addr = match addr.len() {
                        4 => IpAddr::from(<[u8; 4]>::try_from(addr).ok()?),
                        _ => IpAddr::from(<[u8; 16]>::try_from(addr).ok()?),
                    };
                    Some(Subtree::Net(addr, prefix))
                }
                _ => None,
            })
            .collect();
        Ok(Permitted(Some(subtrees)))
    }

    /// Whether the CA may vouch for `name` (RFC 5280's rules: a DNS name
    /// and its subdomains; an address within a network).
    fn allows(&self, name: &Name) -> bool {
        let Some(subtrees) = &self.0 else {
            return true;
        };
        subtrees.iter().any(|t| match (t, name) {
            (Subtree::Dns(base), Name::Dns(n)) => {
                let n = n.to_ascii_lowercase();
                n == *base || n.ends_with(&format!(".{base}"))
            }
            (Subtree::Net(net, prefix), Name::Ip(ip)) => in_network(*ip, *net, *prefix),
            _ => false,
        })
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let bits = |a: IpAddr| -> (u128, u32) {
        match a {
            IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        }
    };
    let ((a, len), (b, net_len)) = (bits(ip), bits(net));
    if len != net_len || u32::from(prefix) > len {
        return false;
    }
    let shift = len - u32::from(prefix);
    shift >= 128 || (a >> shift) == (b >> shift)
}

/// The networks every classroom CA may vouch for: loopback, the private
/// ranges (RFC 1918, shared address space, unique local), link-local.
const LOCAL_NETWORKS: [(&str, u8); 9] = [
    ("127.0.0.0", 8),
    ("10.0.0.0", 8),
    ("172.16.0.0", 12),
    ("192.168.0.0", 16),
    ("100.64.0.0", 10),
    ("169.254.0.0", 16),
    ("::1", 128),
    ("fc00::", 7),
    ("fe80::", 10),
];

/// The CA's name constraints for a machine with the names `wanted`: each
/// DNS name, the local networks, and any other address of the machine (an
/// IPv4 address alone, an IPv6 address's /64, where the host part changes).
fn constraints(wanted: &[Name]) -> rcgen::NameConstraints {
    use rcgen::{CidrSubnet, GeneralSubtree};
    let local: Vec<(IpAddr, u8)> = LOCAL_NETWORKS
        .iter()
        .filter_map(|(net, prefix)| Some((net.parse().ok()?, *prefix)))
        .collect();
    let mut permitted: Vec<GeneralSubtree> = wanted
        .iter()
        .filter_map(|n| match n {
            Name::Dns(d) => Some(GeneralSubtree::DnsName(d.clone())),
            Name::Ip(_) => None,
        })
        .collect();
    let mut networks = local.clone();
    for name in wanted {
        let Name::Ip(ip) = name else { continue };
        if local.iter().any(|(net, p)| in_network(*ip, *net, *p)) {
            continue;
        }
        let prefix = if ip.is_ipv4() { 32 } else { 64 };
        if !networks.iter().any(|(net, p)| in_network(*ip, *net, *p)) {
            networks.push((*ip, prefix));
        }
    }
    permitted.extend(
        networks.into_iter().map(|(net, prefix)| {
            GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(net, prefix))
        }),
    );
    rcgen::NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: vec![],
    }
}

fn make_ca(now: SystemTime, wanted: &[Name]) -> Result<(String, KeyPair)> {
    let key = KeyPair::generate().context("cannot make a key for the classroom CA")?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let host = host_name().unwrap_or_else(|| "this computer".into());
    dn.push(
        DnType::CommonName,
        format!("PiEdge Lab classroom CA ({host})"),
    );
    dn.push(DnType::OrganizationName, "PiEdge Lab");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.name_constraints = Some(constraints(wanted));
    (params.not_before, params.not_after) = validity(now, CA_DAYS);
    let cert = params
        .self_signed(&key)
        .context("cannot sign the classroom CA")?;
    Ok((cert.pem(), key))
}

fn make_server(
    names: &[Name],
    issuer: &Issuer<'_, &KeyPair>,
    now: SystemTime,
) -> Result<(String, KeyPair)> {
    let key = KeyPair::generate().context("cannot make a key for the server certificate")?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let first = names
        .iter()
        .find(|n| matches!(n, Name::Dns(d) if d != "localhost"));
    let common = first.map_or_else(|| "PiEdge Lab".to_string(), Name::to_string);
    dn.push(DnType::CommonName, common);
    params.distinguished_name = dn;
    params.subject_alt_names = names
        .iter()
        .filter_map(|n| match n {
            Name::Dns(d) => Some(SanType::DnsName(d.clone().try_into().ok()?)),
            Name::Ip(ip) => Some(SanType::IpAddress(*ip)),
        })
        .collect();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(now, SERVER_DAYS);
    let cert = params
        .signed_by(&key, issuer)
        .context("cannot sign the server certificate")?;
    Ok((cert.pem(), key))
}

/// From a day before `now` (a device whose clock is a little behind still
/// accepts it) for `days`.
fn validity(now: SystemTime, days: u32) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let at = |t: SystemTime| {
        let s = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        time::OffsetDateTime::from_unix_timestamp(s).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    (at(now - DAY), at(now + DAY * days))
}

fn server_config(
    server_pem: &str,
    ca_der: &[u8],
    key: &KeyPair,
) -> Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let chain = vec![
        CertificateDer::from(pem_der(server_pem)?),
        CertificateDer::from(ca_der.to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS setup")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the server certificate does not suit TLS")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The DER bytes of the first certificate in `pem`.
fn pem_der(pem: &str) -> Result<Vec<u8>> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("not a PEM certificate: {e}"))?;
    Ok(block.contents)
}

/// Writes `text` to `path` whole (a new file renamed over the old one); a
/// key is readable by its owner only.
fn write(path: &Path, text: &str, secret: bool) -> Result<()> {
    let tmp = path.with_extension("new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let result = (|| {
        use std::io::Write;
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<Name> {
        vec![
            Name::Dns("localhost".into()),
            Name::Dns("classroom.lan".into()),
            Name::Ip("127.0.0.1".parse().unwrap()),
            Name::Ip("192.168.1.20".parse().unwrap()),
            Name::Ip("::1".parse().unwrap()),
        ]
    }

    fn server_names(dir: &Path) -> Vec<Name> {
        let der = pem_der(&std::fs::read_to_string(dir.join(SERVER_FILE)).unwrap()).unwrap();
        covered(&x509_parser::parse_x509_certificate(&der).unwrap().1)
    }

    #[test]
    fn the_certificate_covers_every_name_and_address_and_chains_to_the_ca() {
        let dir = tempfile::tempdir().unwrap();
        let certs = load_or_make(dir.path(), &names(), SystemTime::now()).unwrap();
        assert_eq!(certs.names, names());
        assert_eq!(server_names(dir.path()), names());
        assert_eq!(certs.notes.len(), 1, "{:?}", certs.notes);
        let ca = pem_der(&certs.ca_pem).unwrap();
        let (_, ca) = x509_parser::parse_x509_certificate(&ca).unwrap();
        assert!(ca.is_ca());
        let leaf =
            pem_der(&std::fs::read_to_string(dir.path().join(SERVER_FILE)).unwrap()).unwrap();
        let (_, leaf) = x509_parser::parse_x509_certificate(&leaf).unwrap();
        assert!(!leaf.is_ca());
        assert!(leaf.verify_signature(Some(ca.public_key())).is_ok());
        let days = (leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp())
            / 86400;
        assert_eq!(days, i64::from(SERVER_DAYS) + 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SERVER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_ca_vouches_only_for_this_machine_and_local_networks() {
        let dir = tempfile::tempdir().unwrap();
        let mut wanted = names();
        wanted.push(Name::Ip("203.0.113.9".parse().unwrap()));
        wanted.push(Name::Ip("2001:db8:1:2::7".parse().unwrap()));
        let certs = load_or_make(dir.path(), &wanted, SystemTime::now()).unwrap();
        let permitted = Permitted::of(&pem_der(&certs.ca_pem).unwrap()).unwrap();
        let allows = |n: &str| {
            let name = n
                .parse::<IpAddr>()
                .map_or_else(|_| Name::Dns(n.into()), Name::Ip);
            permitted.allows(&name)
        };
        for yes in [
            "localhost",
            "classroom.lan",
            "lab.classroom.lan",
            "127.0.0.1",
            "10.1.2.3",
            "172.31.0.1",
            "192.168.50.1",
            "169.254.1.1",
            "203.0.113.9",
            "2001:db8:1:2::99",
            "::1",
            "fd00::5",
        ] {
            assert!(allows(yes), "{yes}");
        }
        for no in [
            "example.com",
            "lan",
            "notclassroom.lan",
            "8.8.8.8",
            "203.0.113.10",
            "172.32.0.1",
            "2001:db8:1:3::7",
        ] {
            assert!(!allows(no), "{no}");
        }
        assert_eq!(certs.names, wanted, "all of them covered");
        // A name the CA was not made for is left out, and the note says how
        // to make a new CA.
        let mut renamed = names();
        renamed.push(Name::Dns("newname.lan".into()));
        let again = load_or_make(dir.path(), &renamed, SystemTime::now()).unwrap();
        assert!(!again.names.contains(&Name::Dns("newname.lan".into())));
        assert!(
            again.notes[0].contains("newname.lan are outside"),
            "{:?}",
            again.notes
        );
        assert_eq!(again.ca_pem, certs.ca_pem);
    }

    #[test]
    fn a_restart_reuses_both_and_a_new_address_keeps_the_ca() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = load_or_make(dir.path(), &names(), now).unwrap();
        let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
        let (ca, leaf) = (read(CA_FILE), read(SERVER_FILE));
        let again = load_or_make(dir.path(), &names()[..3], now + DAY).unwrap();
        assert!(again.notes.is_empty(), "{:?}", again.notes);
        assert_eq!(
            (read(CA_FILE), read(SERVER_FILE)),
            (ca.clone(), leaf.clone())
        );
        assert_eq!(again.ca_pem, first.ca_pem);
        // The school's DHCP gave another address: a new server certificate
        // for it (and yesterday's), signed by the same CA.
        let mut moved = names();
        moved.push(Name::Ip("10.0.0.7".parse().unwrap()));
        let third = load_or_make(dir.path(), &moved, now + DAY).unwrap();
        assert_eq!(read(CA_FILE), ca);
        assert_ne!(read(SERVER_FILE), leaf);
        assert!(third.notes[0].contains("10.0.0.7"), "{:?}", third.notes);
        assert_eq!(server_names(dir.path()), moved);
    }

    #[test]
    fn an_expiring_server_certificate_is_renewed_by_the_same_ca() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        load_or_make(dir.path(), &names(), now).unwrap();
        let ca = std::fs::read(dir.path().join(CA_FILE)).unwrap();
        let leaf = std::fs::read(dir.path().join(SERVER_FILE)).unwrap();
        let later = now + DAY * (SERVER_DAYS - RENEW_DAYS + 1);
        let renewed = load_or_make(dir.path(), &names(), later).unwrap();
        assert!(
            renewed.notes[0].contains("expires within"),
            "{:?}",
            renewed.notes
        );
        assert_eq!(std::fs::read(dir.path().join(CA_FILE)).unwrap(), ca);
        assert_ne!(std::fs::read(dir.path().join(SERVER_FILE)).unwrap(), leaf);
    }

    #[test]
    fn a_corrupt_key_file_is_replaced_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = load_or_make(dir.path(), &names(), now).unwrap();
        // The server's key: a new server certificate, the CA stays.
        std::fs::write(
            dir.path().join(SERVER_KEY_FILE),
            "-----BEGIN PRIVATE KEY-----\ngarbage\n",
        )
        .unwrap();
        let second = load_or_make(dir.path(), &names(), now).unwrap();
        assert_eq!(second.ca_pem, first.ca_pem);
        assert_eq!(second.notes.len(), 1);
        assert!(
            second.notes[0].contains("server-key.pem is not a private key"),
            "{:?}",
            second.notes
        );
        // The CA's key: a new CA and server certificate, and the message says
        // what that means for devices.
        std::fs::write(dir.path().join(CA_KEY_FILE), b"\x00\x01 not pem").unwrap();
        let third = load_or_make(dir.path(), &names(), now).unwrap();
        assert_ne!(third.ca_pem, first.ca_pem);
        assert!(
            third.notes[0].contains("ca-key.pem is not a private key"),
            "{:?}",
            third.notes
        );
        assert!(
            third.notes[0].contains("must do so again"),
            "{:?}",
            third.notes
        );
        let ca = pem_der(&third.ca_pem).unwrap();
        let (_, ca) = x509_parser::parse_x509_certificate(&ca).unwrap();
        let leaf =
            pem_der(&std::fs::read_to_string(dir.path().join(SERVER_FILE)).unwrap()).unwrap();
        let (_, leaf) = x509_parser::parse_x509_certificate(&leaf).unwrap();
        assert!(
            leaf.verify_signature(Some(ca.public_key())).is_ok(),
            "the server certificate follows the new CA"
        );
    }

    #[test]
    fn a_key_that_does_not_match_its_certificate_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        load_or_make(dir.path(), &names(), now).unwrap();
        let other = KeyPair::generate().unwrap();
        std::fs::write(dir.path().join(SERVER_KEY_FILE), other.serialize_pem()).unwrap();
        let again = load_or_make(dir.path(), &names(), now).unwrap();
        assert!(
            again.notes[0].contains("does not belong to"),
            "{:?}",
            again.notes
        );
        let key =
            KeyPair::from_pem(&std::fs::read_to_string(dir.path().join(SERVER_KEY_FILE)).unwrap())
                .unwrap();
        assert_ne!(key.serialize_der(), other.serialize_der());
    }
}
