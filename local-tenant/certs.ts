/**
 * TLS material for the local tenant: a self-signed CA and a server certificate it signs, made
 * once per state directory and reused on every start.
 *
 * Why a CA and not one self-signed certificate: clients trust it through
 * `NODE_EXTRA_CA_CERTS`, which wants a CA, and the server certificate can then be renewed
 * (when it expires) without asking the user to trust anything new.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import forge from "node-forge";

export interface TlsMaterial {
    /** Path of the CA certificate (PEM) that clients must trust. */
    caCertPath: string;
    caCertPem: string;
    serverCertPem: string;
    serverKeyPem: string;
}

const CA_CERT = "ca.pem";
const CA_KEY = "ca-key.pem";
const SERVER_CERT = "server.pem";
const SERVER_KEY = "server-key.pem";

/** Renew the server certificate when it has less than this left. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/**
 * Loads the CA and server certificate from `stateDir`, creating what is missing or expired.
 *
 * @param stateDir Directory that holds the local tenant's state (created if missing). The
 *   private keys live here with mode 0600: anyone who reads them can impersonate the local
 *   tenant to a process that trusts its CA (nothing else).
 */
export function loadOrCreateTlsMaterial(stateDir: string): TlsMaterial {
    fs.mkdirSync(stateDir, { recursive: true });
    const file = (name: string) => path.join(stateDir, name);

    // 1. The CA: reuse it while valid, so a trusted CA path stays valid across restarts.
    let caCertPem = readIfExists(file(CA_CERT));
    let caKeyPem = readIfExists(file(CA_KEY));
    if (!caCertPem || !caKeyPem || expiresSoon(caCertPem)) {
        ({ certPem: caCertPem, keyPem: caKeyPem } = createCa());
        writePrivate(file(CA_KEY), caKeyPem);
        fs.writeFileSync(file(CA_CERT), caCertPem);
        fs.rmSync(file(SERVER_CERT), { force: true });
    }

    // 2. The server certificate: reissue when missing, expiring, or not signed by this CA.
    let serverCertPem = readIfExists(file(SERVER_CERT));
    let serverKeyPem = readIfExists(file(SERVER_KEY));
    if (
        !serverCertPem ||
        !serverKeyPem ||
        expiresSoon(serverCertPem) ||
        !signedBy(serverCertPem, caCertPem)
    ) {
        ({ certPem: serverCertPem, keyPem: serverKeyPem } = createServerCert(caCertPem, caKeyPem));
        writePrivate(file(SERVER_KEY), serverKeyPem);
        fs.writeFileSync(file(SERVER_CERT), serverCertPem);
    }

    return { caCertPath: path.resolve(file(CA_CERT)), caCertPem, serverCertPem, serverKeyPem };
}

function createCa(): { certPem: string; keyPem: string } {
    const keys = newRsaKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = randomSerial();
    cert.validity.notBefore = new Date(Date.now() - 3600 * 1000);
    cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    const subject = [{ name: "commonName", value: "BEC Guard local tenant CA" }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCert(
    caCertPem: string,
    caKeyPem: string,
): { certPem: string; keyPem: string } {
    const caCert = forge.pki.certificateFromPem(caCertPem);
    const caKey = forge.pki.privateKeyFromPem(caKeyPem);
    const keys = newRsaKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = randomSerial();
    cert.validity.notBefore = new Date(Date.now() - 3600 * 1000);
    // Kept under 398 days: clients that enforce the public-CA lifetime limit still accept it.
    cert.validity.notAfter = new Date(Date.now() + 397 * 24 * 3600 * 1000);
    cert.setSubject([{ name: "commonName", value: "localhost" }]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
            name: "subjectAltName",
            altNames: [
                { type: 2, value: "localhost" },
                { type: 7, ip: "127.0.0.1" },
                { type: 7, ip: "::1" },
            ],
        },
        {
            name: "authorityKeyIdentifier",
            keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
        },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** RSA keys from node's native generator (forge's pure-JS one takes seconds). */
function newRsaKeyPair() {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem);
    return {
        privateKey: forgeKey,
        publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
        privateKeyPem,
    };
}

function randomSerial(): string {
    // A positive serial: the first hex digit below 8 keeps the DER integer's sign bit clear.
    return "1" + crypto.randomBytes(15).toString("hex");
}

function expiresSoon(certPem: string): boolean {
    try {
        const validTo = new crypto.X509Certificate(certPem).validTo;
        return Date.parse(validTo) - Date.now() < RENEW_BEFORE_MS;
    } catch {
        return true;
    }
}

function signedBy(certPem: string, caCertPem: string): boolean {
    try {
        const ca = new crypto.X509Certificate(caCertPem);
        return new crypto.X509Certificate(certPem).verify(ca.publicKey);
    } catch {
        return false;
    }
}

function readIfExists(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

function writePrivate(file: string, content: string): void {
    fs.writeFileSync(file, content, { mode: 0o600 });
}
