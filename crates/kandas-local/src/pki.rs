//! Development PKI and a small certificate authority for tests.
//!
//! Every key is ECDSA P-256. Issued certificates carry an authority key identifier matching the
//! CA's subject key identifier, so chain building works with rustls/webpki and OpenSSL alike.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::ParsedExtension;

use super::LocalError;
use rustls::pki_types::pem::PemObject;

/// Validity of a CA certificate made by [`CertificateAuthority::generate`].
const CA_VALIDITY_DAYS: i64 = 3650;
/// Validity of the development server and client certificates.
const DEV_LEAF_VALIDITY_DAYS: u32 = 825;
/// Certificates start to be valid a little in the past, to tolerate clock skew.
const BACKDATE: Duration = Duration::hours(1);

/// A certificate authority: its certificate and signing key.
pub struct CertificateAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The issuer's Debug elides the key.
        f.debug_struct("CertificateAuthority")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A certificate and its private key, both PEM encoded (the key as PKCS#8).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedPair {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPair")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[elided]")
            .finish()
    }
}

/// How long an issued client certificate is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// From (about) now for this many days.
    Days(u32),
    /// Already expired: issued 30 days ago, valid for one day.
    Expired,
}

impl CertificateAuthority {
    /// A fresh self-signed CA (ECDSA P-256, valid 10 years) with this common name.
    pub fn generate(common_name: &str) -> Result<CertificateAuthority, LocalError> {
        let key = KeyPair::generate().map_err(|e| LocalError::pki("generating the CA key", e))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "kandas development");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
        let cert = params
            .self_signed(&key)
            .map_err(|e| LocalError::pki(format!("self-signing the CA `{common_name}`"), e))?;
        // Pin the key identifier to the one written into the certificate, exactly as
        // `from_pem` does, so both constructors issue identical authority key identifiers.
        params.key_identifier_method = KeyIdMethod::PreSpecified(params.key_identifier(&key));
        Ok(CertificateAuthority {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA from its PEM certificate and PEM (PKCS#8) private key. Fails when the
    /// certificate is not a CA or the key does not belong to it.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<CertificateAuthority, LocalError> {
        let key = KeyPair::from_pem(key_pem)
            .map_err(|e| LocalError::pki("parsing the CA private key", e))?;
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())
            .map_err(|e| LocalError::pki("reading the CA certificate PEM", e))?;
        let x509 = pem
            .parse_x509()
            .map_err(|e| LocalError::pki("parsing the CA certificate", e))?;
        if !x509.is_ca() {
            return Err(LocalError::pki(
                "loading the CA",
                format!("`{}` is not a CA certificate", x509.subject()),
            ));
        }
        if x509.public_key().raw != rcgen::PublicKeyData::subject_public_key_info(&key) {
            return Err(LocalError::pki(
                "loading the CA",
                format!(
                    "the private key does not belong to the certificate `{}`",
                    x509.subject()
                ),
            ));
        }
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(&x509)?;
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.key_identifier_method = match subject_key_id(&x509) {
            Some(id) => KeyIdMethod::PreSpecified(id),
            None => KeyIdMethod::Sha256,
        };
        Ok(CertificateAuthority {
            cert_pem: cert_pem.to_owned(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, PEM encoded.
    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// The CA private key, PEM encoded (PKCS#8).
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A server certificate (serverAuth) for these DNS names and IP addresses; the first DNS
    /// name (or IP) is also the common name.
    pub fn issue_server(
        &self,
        dns_names: &[&str],
        ips: &[IpAddr],
    ) -> Result<IssuedPair, LocalError> {
        let mut sans = Vec::with_capacity(dns_names.len() + ips.len());
        for name in dns_names {
            let name = (*name)
                .try_into()
                .map_err(|e| LocalError::pki(format!("DNS name `{name}`"), e))?;
            sans.push(SanType::DnsName(name));
        }
        sans.extend(ips.iter().copied().map(SanType::IpAddress));
        let common_name = dns_names
            .first()
            .map(|n| (*n).to_owned())
            .or_else(|| ips.first().map(IpAddr::to_string))
            .unwrap_or_else(|| "kandas server".to_owned());
        self.issue(
            &common_name,
            sans,
            ExtendedKeyUsagePurpose::ServerAuth,
            Validity::Days(DEV_LEAF_VALIDITY_DAYS),
        )
    }

    /// A CRL signed by this CA revoking the given certificates (PEM), valid for a week: what an
    /// operator publishes to take one certificate out of service without a new CA.
    pub fn revocation_list(
        &self,
        revoked_pems: &[&str],
        number: u64,
    ) -> Result<String, LocalError> {
        let next_update = OffsetDateTime::now_utc() + Duration::days(7);
        self.revocation_list_until(revoked_pems, number, next_update)
    }

    /// A CRL like [`Self::revocation_list`] whose next update is `next_update` (in the past
    /// for a CRL an operator forgot to renew), issued a day before it at the latest.
    pub fn revocation_list_until(
        &self,
        revoked_pems: &[&str],
        number: u64,
        next_update: OffsetDateTime,
    ) -> Result<String, LocalError> {
        let now = OffsetDateTime::now_utc();
        let mut revoked_certs = Vec::new();
        for pem in revoked_pems {
            let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| LocalError::pki("reading a certificate to revoke", e))?;
            let (_, cert) = <X509Certificate as x509_parser::prelude::FromDer<_>>::from_der(&der)
                .map_err(|e| LocalError::pki("parsing a certificate to revoke", e))?;
            revoked_certs.push(rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from_slice(cert.raw_serial()),
                revocation_time: now - BACKDATE,
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            });
        }
        let crl = rcgen::CertificateRevocationListParams {
            this_update: (now - BACKDATE).min(next_update - Duration::days(1)),
            next_update,
            crl_number: rcgen::SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .map_err(|e| LocalError::pki("signing a CRL", e))?;
        crl.pem().map_err(|e| LocalError::pki("encoding a CRL", e))
    }

    /// A client certificate (clientAuth) with this common name and, when given, exactly one
    /// URI SAN (e.g. `urn:kandas:psc:almaty-01`); `None` gives a certificate without any SAN.
    pub fn issue_client(
        &self,
        common_name: &str,
        uri_san: Option<&str>,
        validity: Validity,
    ) -> Result<IssuedPair, LocalError> {
        let mut sans = Vec::new();
        if let Some(uri) = uri_san {
            let uri = uri
                .try_into()
                .map_err(|e| LocalError::pki(format!("URI SAN `{uri}`"), e))?;
            sans.push(SanType::URI(uri));
        }
        self.issue(
            common_name,
            sans,
            ExtendedKeyUsagePurpose::ClientAuth,
            validity,
        )
    }

    fn issue(
        &self,
        common_name: &str,
        sans: Vec<SanType>,
        eku: ExtendedKeyUsagePurpose,
        validity: Validity,
    ) -> Result<IssuedPair, LocalError> {
        let key = KeyPair::generate()
            .map_err(|e| LocalError::pki(format!("generating a key for `{common_name}`"), e))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![eku];
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        match validity {
            Validity::Days(days) => {
                params.not_before = now - BACKDATE;
                params.not_after = now + Duration::days(i64::from(days));
            }
            Validity::Expired => {
                params.not_before = now - Duration::days(30);
                params.not_after = now - Duration::days(29);
            }
        }
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| LocalError::pki(format!("signing the certificate `{common_name}`"), e))?;
        Ok(IssuedPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// Rebuilds a certificate's subject for rcgen, keeping each attribute's string type so that the
/// issuer name in issued certificates is byte-identical to the CA's subject.
fn distinguished_name(x509: &X509Certificate<'_>) -> Result<DistinguishedName, LocalError> {
    let bad = |what: &str| LocalError::pki("reading the CA subject", what.to_owned());
    let mut dn = DistinguishedName::new();
    for rdn in x509.subject().iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(bad("multi-valued or empty RDNs are not supported"));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| bad("attribute type OID out of range"))?
            .collect();
        let data = attr.attr_value().data;
        let text = || std::str::from_utf8(data).map_err(|_| bad("attribute is not valid text"));
        let value = match attr.attr_value().header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
            Tag::PrintableString => DnValue::PrintableString(
                text()?
                    .try_into()
                    .map_err(|_| bad("invalid PrintableString"))?,
            ),
            Tag::Ia5String => {
                DnValue::Ia5String(text()?.try_into().map_err(|_| bad("invalid IA5String"))?)
            }
            Tag::T61String => DnValue::TeletexString(
                text()?
                    .try_into()
                    .map_err(|_| bad("invalid TeletexString"))?,
            ),
            _ => return Err(bad("unsupported attribute string type")),
        };
        dn.push(DnType::from_oid(&oid), value);
    }
    Ok(dn)
}

/// Where [`ensure_dev_pki`] put the development PKI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevPkiPaths {
    pub dir: PathBuf,
    /// `ca.pem`: the CA certificate (trust anchor for both servers and clients).
    pub ca: PathBuf,
    /// `server.pem`: valid for `localhost`, `127.0.0.1` and `::1`.
    pub server_cert: PathBuf,
    /// `server.key` (mode 0600).
    pub server_key: PathBuf,
}

impl DevPkiPaths {
    fn new(dir: &Path) -> DevPkiPaths {
        DevPkiPaths {
            dir: dir.to_path_buf(),
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }

    /// `ca.key`: the CA private key (mode 0600).
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    /// `<role>.pem`: client certificate with URI SAN `urn:kandas:<role>:dev-<role>`.
    pub fn client_cert(&self, role: &str) -> PathBuf {
        self.dir.join(format!("{role}.pem"))
    }

    /// `<role>.key` (mode 0600).
    pub fn client_key(&self, role: &str) -> PathBuf {
        self.dir.join(format!("{role}.key"))
    }
}

/// The URI SAN of the development client certificate of `role`.
pub fn dev_client_uri(role: &str) -> String {
    format!("urn:kandas:{role}:dev-{role}")
}

/// Makes sure `dir` holds a development PKI: `ca.pem`/`ca.key`, `server.pem`/`server.key`
/// (SANs `localhost`, `127.0.0.1`, `::1`) and `<role>.pem`/`<role>.key` for every role, with
/// URI SAN `urn:kandas:<role>:dev-<role>`.
///
/// With `overwrite == false` a complete PKI whose files all parse (and whose leaves were signed
/// by that CA's key) is reused untouched; anything missing or broken makes the whole PKI be
/// written afresh, because leaves of a replaced CA would no longer verify. With
/// `overwrite == true` a fresh PKI is always written. Private keys get mode 0600, and files are
/// replaced atomically (write to a temporary file, then rename).
pub fn ensure_dev_pki(
    dir: &Path,
    roles: &[&str],
    overwrite: bool,
) -> Result<DevPkiPaths, LocalError> {
    for role in roles {
        let valid = !role.is_empty()
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid || matches!(*role, "ca" | "server") {
            return Err(LocalError::pki(
                "development PKI",
                format!("invalid role name `{role}` (expected lower-case letters, digits, `_`)"),
            ));
        }
    }
    let paths = DevPkiPaths::new(dir);
    if !overwrite {
        match existing_pki_is_usable(&paths, roles) {
            Ok(()) => {
                tracing::debug!(dir = %dir.display(), "reusing the development PKI");
                return Ok(paths);
            }
            Err(reason) if paths.ca.exists() => {
                tracing::warn!(
                    dir = %dir.display(),
                    %reason,
                    "development PKI incomplete or unreadable; writing a fresh one"
                );
            }
            Err(_) => {}
        }
    }
    fs::create_dir_all(dir)
        .map_err(|e| LocalError::io(format!("creating the PKI directory {}", dir.display()), e))?;

    let ca = CertificateAuthority::generate("kandas development CA")?;
    let server = ca.issue_server(
        &["localhost"],
        &[
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
    )?;
    // Keys first, certificates last: a crash in between leaves a PKI that fails the reuse check.
    write_file(&paths.ca_key(), &ca.key_pem(), 0o600)?;
    write_file(&paths.server_key, &server.key_pem, 0o600)?;
    write_file(&paths.server_cert, &server.cert_pem, 0o644)?;
    for role in roles {
        let pair = ca.issue_client(
            &format!("dev-{role}"),
            Some(&dev_client_uri(role)),
            Validity::Days(DEV_LEAF_VALIDITY_DAYS),
        )?;
        write_file(&paths.client_key(role), &pair.key_pem, 0o600)?;
        write_file(&paths.client_cert(role), &pair.cert_pem, 0o644)?;
    }
    write_file(&paths.ca, &ca.cert_pem(), 0o644)?;
    tracing::info!(dir = %dir.display(), "wrote a development PKI");
    Ok(paths)
}

/// Checks that every file of the PKI exists, parses, is currently valid and was issued by the
/// CA, and that every private key matches its certificate.
fn existing_pki_is_usable(paths: &DevPkiPaths, roles: &[&str]) -> Result<(), String> {
    let read = |p: &Path| fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let ca = CertificateAuthority::from_pem(&read(&paths.ca)?, &read(&paths.ca_key())?)
        .map_err(|e| e.to_string())?;
    let ca_der = pem_to_der(&ca.cert_pem).map_err(|e| format!("{}: {e}", paths.ca.display()))?;
    let (_, ca_x509) = x509_parser::parse_x509_certificate(&ca_der)
        .map_err(|e| format!("{}: {e}", paths.ca.display()))?;
    if !ca_x509.validity().is_valid() {
        return Err(format!("{}: expired or not yet valid", paths.ca.display()));
    }
    let mut pairs = vec![(paths.server_cert.clone(), paths.server_key.clone())];
    pairs.extend(
        roles
            .iter()
            .map(|r| (paths.client_cert(r), paths.client_key(r))),
    );
    for (cert_path, key_path) in pairs {
        let der =
            pem_to_der(&read(&cert_path)?).map_err(|e| format!("{}: {e}", cert_path.display()))?;
        let (_, x509) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| format!("{}: {e}", cert_path.display()))?;
        if x509.issuer().as_raw() != ca_x509.subject().as_raw()
            || authority_key_id(&x509) != subject_key_id(&ca_x509)
        {
            return Err(format!("{}: not issued by this CA", cert_path.display()));
        }
        if !x509.validity().is_valid() {
            return Err(format!("{}: expired or not yet valid", cert_path.display()));
        }
        let key = KeyPair::from_pem(&read(&key_path)?)
            .map_err(|e| format!("{}: {e}", key_path.display()))?;
        if x509.public_key().raw != rcgen::PublicKeyData::subject_public_key_info(&key) {
            return Err(format!(
                "{} does not belong to {}",
                key_path.display(),
                cert_path.display()
            ));
        }
    }
    Ok(())
}

fn subject_key_id(x509: &X509Certificate<'_>) -> Option<Vec<u8>> {
    x509.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
}

fn authority_key_id(x509: &X509Certificate<'_>) -> Option<Vec<u8>> {
    x509.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                aki.key_identifier.as_ref().map(|id| id.0.to_vec())
            }
            _ => None,
        })
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
    if pem.label != "CERTIFICATE" {
        return Err(format!("expected a CERTIFICATE, found {}", pem.label));
    }
    Ok(pem.contents)
}

/// Writes `contents` to `path` atomically with the given mode (set at creation, so a private
/// key is never readable by others, not even briefly).
pub fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), LocalError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let context = |what: &str| format!("{what} {}", tmp.display());
    let result = (|| {
        let _ = fs::remove_file(&tmp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| LocalError::io(context("creating"), e))?;
        // The umask may have narrowed the mode; certificates should stay world-readable.
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| LocalError::io(context("setting the mode of"), e))?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| LocalError::io(context("writing"), e))?;
        fs::rename(&tmp, path).map_err(|e| {
            LocalError::io(
                format!("renaming {} to {}", tmp.display(), path.display()),
                e,
            )
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::GeneralName;

    fn parse(pem: &str) -> X509Certificate<'static> {
        let der = pem_to_der(pem).expect("PEM");
        let der: &'static [u8] = Box::leak(der.into_boxed_slice());
        x509_parser::parse_x509_certificate(der).expect("X.509").1
    }

    fn uri_sans(cert: &X509Certificate<'_>) -> Vec<String> {
        match cert
            .subject_alternative_name()
            .expect("SAN extension parses")
        {
            None => Vec::new(),
            Some(san) => san
                .value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::URI(u) => Some((*u).to_owned()),
                    _ => None,
                })
                .collect(),
        }
    }

    fn now() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    #[test]
    fn client_cert_carries_exactly_the_given_uri_san() {
        let ca = CertificateAuthority::generate("test CA").unwrap();
        let pair = ca
            .issue_client(
                "almaty",
                Some("urn:kandas:psc:almaty-01"),
                Validity::Days(30),
            )
            .unwrap();
        let cert = parse(&pair.cert_pem);
        assert_eq!(uri_sans(&cert), vec!["urn:kandas:psc:almaty-01".to_owned()]);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert_eq!(san.value.general_names.len(), 1);
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert!(!cert.is_ca());
        let ca_cert = parse(&ca.cert_pem());
        assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
        assert_eq!(authority_key_id(&cert), subject_key_id(&ca_cert));
        assert!(authority_key_id(&cert).is_some());
        assert!(cert.validity().is_valid());
        assert!(cert.validity().not_after.timestamp() > now() + 29 * 86_400);
        assert!(pair.key_pem.contains("PRIVATE KEY"));
    }

    #[test]
    fn client_cert_without_uri_san_has_none() {
        let ca = CertificateAuthority::generate("test CA").unwrap();
        let pair = ca.issue_client("nobody", None, Validity::Days(1)).unwrap();
        let cert = parse(&pair.cert_pem);
        assert!(uri_sans(&cert).is_empty());
        assert!(cert.subject_alternative_name().unwrap().is_none());
    }

    #[test]
    fn expired_client_cert_is_in_the_past() {
        let ca = CertificateAuthority::generate("test CA").unwrap();
        let pair = ca
            .issue_client("old", Some("urn:kandas:psc:old-01"), Validity::Expired)
            .unwrap();
        let cert = parse(&pair.cert_pem);
        assert!(cert.validity().not_after.timestamp() < now());
        assert!(cert.validity().not_before.timestamp() < cert.validity().not_after.timestamp());
        assert!(!cert.validity().is_valid());
    }

    #[test]
    fn server_cert_has_dns_and_ip_sans_and_server_auth() {
        let ca = CertificateAuthority::generate("test CA").unwrap();
        let pair = ca
            .issue_server(&["localhost"], &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
            .unwrap();
        let cert = parse(&pair.cert_pem);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(
            san.value
                .general_names
                .contains(&GeneralName::DNSName("localhost"))
        );
        assert!(
            san.value
                .general_names
                .contains(&GeneralName::IPAddress(&[127, 0, 0, 1]))
        );
        assert!(
            cert.extended_key_usage()
                .unwrap()
                .unwrap()
                .value
                .server_auth
        );
    }

    #[test]
    fn ca_round_trips_through_pem_and_keeps_issuing_verifiable_certs() {
        let ca = CertificateAuthority::generate("round trip CA").unwrap();
        let loaded = CertificateAuthority::from_pem(&ca.cert_pem(), &ca.key_pem()).unwrap();
        assert_eq!(loaded.cert_pem(), ca.cert_pem());
        let ca_cert = parse(&ca.cert_pem());
        let leaf = parse(
            &loaded
                .issue_client("x", Some("urn:kandas:psc:x"), Validity::Days(1))
                .unwrap()
                .cert_pem,
        );
        assert_eq!(leaf.issuer().as_raw(), ca_cert.subject().as_raw());
        let ski = subject_key_id(&ca_cert).unwrap();
        assert_eq!(authority_key_id(&leaf), Some(ski));

        let other = CertificateAuthority::generate("other").unwrap();
        let err = CertificateAuthority::from_pem(&ca.cert_pem(), &other.key_pem()).unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
        let leaf_pair = ca.issue_client("y", None, Validity::Days(1)).unwrap();
        let err =
            CertificateAuthority::from_pem(&leaf_pair.cert_pem, &leaf_pair.key_pem).unwrap_err();
        assert!(err.to_string().contains("not a CA"), "{err}");
    }

    #[test]
    fn dev_pki_is_reused_and_overwritten_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let pki = dir.path().join("certs");
        let roles = ["psc", "employment_center"];
        let paths = ensure_dev_pki(&pki, &roles, false).unwrap();
        let ca1 = fs::read(&paths.ca).unwrap();
        let server1 = fs::read(&paths.server_cert).unwrap();
        let psc1 = fs::read(paths.client_cert("psc")).unwrap();
        for key in [
            paths.ca_key(),
            paths.server_key.clone(),
            paths.client_key("psc"),
            paths.client_key("employment_center"),
        ] {
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
        let cert = parse(&fs::read_to_string(paths.client_cert("employment_center")).unwrap());
        assert_eq!(
            uri_sans(&cert),
            vec!["urn:kandas:employment_center:dev-employment_center".to_owned()]
        );
        let server = parse(&String::from_utf8(server1.clone()).unwrap());
        let names = &server
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names;
        assert!(names.contains(&GeneralName::DNSName("localhost")));
        assert!(names.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
        assert!(names.contains(&GeneralName::IPAddress(&Ipv6Addr::LOCALHOST.octets())));

        let again = ensure_dev_pki(&pki, &roles, false).unwrap();
        assert_eq!(again, paths);
        assert_eq!(fs::read(&paths.ca).unwrap(), ca1);
        assert_eq!(fs::read(&paths.server_cert).unwrap(), server1);
        assert_eq!(fs::read(paths.client_cert("psc")).unwrap(), psc1);

        let fresh = ensure_dev_pki(&pki, &roles, true).unwrap();
        assert_ne!(fs::read(&fresh.ca).unwrap(), ca1);
        assert_ne!(fs::read(&fresh.server_cert).unwrap(), server1);

        // A missing role file makes the whole PKI be regenerated (leaves must match the CA).
        let ca2 = fs::read(&fresh.ca).unwrap();
        let more = ensure_dev_pki(&pki, &["psc", "employment_center", "portal"], false).unwrap();
        assert!(more.client_cert("portal").exists());
        assert_ne!(fs::read(&more.ca).unwrap(), ca2);
        // No temporary files are left behind.
        let leftovers: Vec<_> = fs::read_dir(&pki)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn bad_role_names_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        for role in ["", "../x", "Psc", "ca", "server"] {
            assert!(
                ensure_dev_pki(dir.path(), &[role], false).is_err(),
                "{role}"
            );
        }
    }
}
