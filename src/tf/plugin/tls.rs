//! go-plugin's AutoMTLS: Terraform generates a client certificate per plugin
//! start and passes it in `PLUGIN_CLIENT_CERT`; we generate a fresh server
//! certificate, print it in the handshake line, and accept only connections
//! that present exactly Terraform's certificate.
//!
//! Terraform's certificate is self-signed, ECDSA P-521 and marked CA:TRUE,
//! which WebPKI-style client verification rejects as an end entity. So the
//! client certificate is pinned by its DER bytes, and its handshake signature
//! is checked with the aws-lc-rs provider (which, unlike ring, does P-521).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, ServerConfig, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate")]
    NoClientCertificate,
    #[error("PLUGIN_CLIENT_CERT holds more than one certificate")]
    SeveralClientCertificates,
    #[error("cannot read PLUGIN_CLIENT_CERT: {0}")]
    Pem(String),
    #[error("PLUGIN_CLIENT_CERT's PEM body is not an X.509 certificate ({0}): refusing to serve pinned to it")]
    NotACertificate(String),
    #[error("cannot generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The aws-lc-rs provider, used for every TLS configuration in this crate.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A freshly generated server identity for one plugin run.
pub struct ServerIdentity {
    pub cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// Like go-plugin's own: self-signed, `localhost`, usable for server and
    /// client auth, valid from a minute ago (clock skew) for 30 years.
    ///
    /// ECDSA P-256 from aws-lc (the provider every TLS handshake here uses
    /// anyway, built without its CPU-jitter entropy source): a key and a
    /// signature in well under a millisecond, where P-384 in RustCrypto
    /// took ~4 ms of every plugin start before the handshake line.
    pub fn generate() -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "localhost");
        name.push(DnType::OrganizationName, "HashiCorp");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - std::time::Duration::from_secs(60);
        params.not_after = now + std::time::Duration::from_secs(30 * 365 * 24 * 3600);
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The certificate as go-plugin's handshake line carries it: base64
    /// (standard alphabet, no padding) of the DER bytes.
    pub fn handshake_encoding(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.cert.as_ref())
    }

    /// A server configuration that requires the pinned client certificate
    /// and speaks HTTP/2 only (gRPC clients insist on ALPN `h2`).
    pub fn server_config(&self, client: PinnedClientCertificate) -> Result<ServerConfig, TlsError> {
        let provider = crypto_provider();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(Arc::new(client))
            .with_single_cert(
                vec![self.cert.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }
}

/// Accepts exactly one client certificate, compared byte for byte.
#[derive(Debug)]
pub struct PinnedClientCertificate {
    der: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertificate {
    /// Parses the PEM that Terraform puts in `PLUGIN_CLIENT_CERT`.
    pub fn from_pem(pem: &str) -> Result<Self, TlsError> {
        use rustls::pki_types::pem::PemObject;
        let mut certs = CertificateDer::pem_slice_iter(pem.as_bytes());
        let der = match certs.next() {
            Some(Ok(der)) => der,
            Some(Err(e)) => return Err(TlsError::Pem(e.to_string())),
            None => return Err(TlsError::NoClientCertificate),
        };
        if certs.next().is_some() {
            return Err(TlsError::SeveralClientCertificates);
        }
        // Pinning bytes that are not a certificate would serve pinned to
        // nothing: every connection refused, and Terraform left waiting.
        webpki::EndEntityCert::try_from(&der)
            .map_err(|e| TlsError::NotACertificate(format!("{e:?}")))?;
        Ok(Self::from_der(der))
    }

    pub fn from_der(der: CertificateDer<'static>) -> Self {
        PinnedClientCertificate {
            der,
            algorithms: crypto_provider().signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_fresh_per_start() {
        let a = ServerIdentity::generate().expect("generate");
        let b = ServerIdentity::generate().expect("generate");
        assert_ne!(a.cert, b.cert);
        assert!(!a.handshake_encoding().ends_with('='));
    }

    #[test]
    fn pinned_verifier_accepts_only_the_pinned_certificate() {
        let pinned = ServerIdentity::generate().expect("generate");
        let other = ServerIdentity::generate().expect("generate");
        let verifier = PinnedClientCertificate::from_der(pinned.cert.clone());
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&pinned.cert, &[], now).is_ok());
        assert!(verifier.verify_client_cert(&other.cert, &[], now).is_err());
        assert!(verifier.client_auth_mandatory());
    }

    #[test]
    fn p521_signatures_are_supported() {
        let verifier = PinnedClientCertificate::from_der(CertificateDer::from(vec![]));
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn a_client_certificate_that_cannot_be_decoded_is_refused() {
        let pem = |body: &str| {
            format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
        };
        // Not base64, base64 of bytes that are no certificate, and a
        // certificate cut short.
        let good = ServerIdentity::generate().expect("generate");
        use base64::Engine as _;
        let truncated = base64::engine::general_purpose::STANDARD
            .encode(&good.cert.as_ref()[..good.cert.as_ref().len() / 2]);
        for body in [
            "!!!! not base64 at all ####",
            "aGVsbG8gd29ybGQ=",
            truncated.as_str(),
        ] {
            let result = PinnedClientCertificate::from_pem(&pem(body));
            assert!(
                matches!(result, Err(TlsError::Pem(_) | TlsError::NotACertificate(_))),
                "{body}: {result:?}"
            );
            let message = result.expect_err("refused").to_string();
            assert!(message.contains("PLUGIN_CLIENT_CERT"), "{message}");
        }
        // A real (CA:TRUE, self-signed, as Terraform's) certificate is pinned.
        let encoded = base64::engine::general_purpose::STANDARD.encode(good.cert.as_ref());
        assert!(PinnedClientCertificate::from_pem(&pem(&encoded)).is_ok());
    }

    #[test]
    fn bad_pem_is_an_error() {
        assert!(matches!(
            PinnedClientCertificate::from_pem("not a pem"),
            Err(TlsError::NoClientCertificate)
        ));
    }
}
