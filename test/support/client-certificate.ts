/**
 * A self-signed app certificate for the client-certificate credential tests: the local tenant
 * registers `certificatePem` on an app, and ClientCertificateCredential signs its assertion
 * with the key in `pem`.
 */
import * as crypto from "crypto";
import forge from "node-forge";

export interface ClientCertificate {
    /** Certificate then private key in one PEM file, as ClientCertificateCredential reads it. */
    pem: string;
    /** The certificate alone, as an app registration holds it. */
    certificatePem: string;
}

/** A fresh RSA key and a self-signed certificate for it, valid from a minute ago for a day. */
export function makeClientCertificate(): ClientCertificate {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const key = forge.pki.privateKeyFromPem(keyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = "01";
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
    const subject = [{ name: "commonName", value: "BEC Guard test app" }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.sign(key, forge.md.sha256.create());
    const certificatePem = forge.pki.certificateToPem(cert);
    return { pem: certificatePem + keyPem, certificatePem };
}
