import { sign as ed25519Sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
} from 'jose';
import { aCertifiedCertificate, aNoOpCertificate } from '../../testing/certificate.factory';
import {
  ed25519PrivateKeyFromSeed,
  generateEd25519,
  parsePrivateKey,
  publicJwkMembers,
  rawPublicKey,
} from './ed25519-keys';
import { JoseAuditSigner } from './jose-audit-signer';
import { CERTIFICATE_JWS_TYPE, signCompactJws } from './jws';
import { KeyRing, keyRingFromConfig, keyRingFromEnv } from './key-ring';

/** RFC 8032 §7.1, TEST 1 (the same key is RFC 8037 Appendix A.1's). */
const RFC8032_TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

/** RFC 8037 Appendix A.4: the JWS of "Example of Ed25519 signing" with header {"alg":"EdDSA"}. */
const RFC8037_A4 =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

const T0 = new Date('2026-01-01T00:00:00Z');
const ringWith = (kid = 'k1', notBefore = T0): KeyRing => {
  const { privateKey, publicKey } = generateEd25519();
  return KeyRing.of([{ kid, notBefore, notAfter: null, privateKey, publicKey }]);
};

describe('Ed25519 golden vectors through our key loading and signing path', () => {
  const privateKey = ed25519PrivateKeyFromSeed(Buffer.from(RFC8032_TEST1.secret, 'hex'));

  it('RFC 8032 test 1: the seed gives the published public key', () => {
    expect(rawPublicKey(privateKey).toString('hex')).toBe(RFC8032_TEST1.public);
  });

  it('RFC 8032 test 1: the key signs the empty message to the published signature', () => {
    expect(ed25519Sign(null, Buffer.alloc(0), privateKey).toString('hex')).toBe(
      RFC8032_TEST1.signature,
    );
  });

  it('RFC 8037 A.3: the public JWK has the published thumbprint', async () => {
    expect(await calculateJwkThumbprint(publicJwkMembers(privateKey))).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });

  it('RFC 8037 A.4: signCompactJws (the path certificates take) yields the published JWS byte for byte', async () => {
    const jws = await signCompactJws(
      { alg: 'EdDSA' },
      Buffer.from('Example of Ed25519 signing', 'utf8'),
      privateKey,
    );
    expect(jws).toBe(RFC8037_A4);
  });

  it('loads the same key from PEM, JWK, hex and base64url seeds', () => {
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    const b64 = Buffer.from(RFC8032_TEST1.secret, 'hex').toString('base64url');
    for (const material of [pem, jwk, RFC8032_TEST1.secret, b64]) {
      expect(rawPublicKey(parsePrivateKey(material)).toString('hex')).toBe(RFC8032_TEST1.public);
    }
    expect(() => parsePrivateKey('not a key')).toThrow(
      expect.objectContaining({ code: 'KEY_RING_INVALID' }),
    );
  });
});

describe('certificate JWS', () => {
  it('signs compact EdDSA with kid and typ over the canonical payload, and verifies independently with jose and the JWKS', async () => {
    const signer = new JoseAuditSigner(ringWith('k1'));
    const cert = aCertifiedCertificate();
    const jws = await signer.signCertificate(cert);
    expect(decodeProtectedHeader(jws)).toEqual({
      alg: 'EdDSA',
      kid: 'k1',
      typ: CERTIFICATE_JWS_TYPE,
    });

    // An auditor's check: nothing of ours, only jose and the published JWKS document.
    const jwks = JSON.parse(JSON.stringify(signer.jwks())) as Parameters<
      typeof createLocalJWKSet
    >[0];
    const { payload } = await compactVerify(jws, createLocalJWKSet(jwks));
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toEqual(cert);

    const verified = await signer.verifyCertificate(jws);
    expect(verified.payload).toEqual(cert);
    expect(verified.kid).toBe('k1');
  });

  it('refuses to sign an invalid payload (a raw subject id)', async () => {
    const signer = new JoseAuditSigner(ringWith());
    await expect(
      signer.signCertificate(aNoOpCertificate({ subjectRefs: ['user-42'] })),
    ).rejects.toMatchObject({
      code: 'INVALID_CERTIFICATE',
    });
  });

  it('rejects a tampered payload, a foreign key and an unknown kid', async () => {
    const signer = new JoseAuditSigner(ringWith('k1'));
    const jws = await signer.signCertificate(aNoOpCertificate());
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    payload.requestIds = ['req-other'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await expect(signer.verifyCertificate(forged)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });

    const other = new JoseAuditSigner(ringWith('k1'));
    await expect(other.verifyCertificate(jws)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const stranger = new JoseAuditSigner(ringWith('k9'));
    await expect(stranger.verifyCertificate(jws)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
      details: { kid: 'k1' },
    });
  });

  it('after rotation: old certificates still verify, the old key is published as retired, new ones use the new key', async () => {
    const signer = new JoseAuditSigner(ringWith('k1'));
    const old = await signer.signCertificate(
      aCertifiedCertificate({ issuedAt: '2026-03-01T00:00:00Z' }),
    );
    const rotation = new Date('2026-06-01T00:00:00Z');
    signer.rotate({ kid: 'k2', privateKey: generateEd25519().privateKey }, rotation);

    const jwks = signer.jwks();
    expect(jwks.keys.map((k) => [k.kid, k.notBefore, k.notAfter])).toEqual([
      ['k1', T0.toISOString(), rotation.toISOString()],
      ['k2', rotation.toISOString(), null],
    ]);
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
    await expect(signer.verifyCertificate(old)).resolves.toMatchObject({ kid: 'k1' });

    const fresh = await signer.signCertificate(
      aCertifiedCertificate({ issuedAt: '2026-07-01T00:00:00Z' }),
    );
    expect(decodeProtectedHeader(fresh).kid).toBe('k2');
    // The new key cannot sign a certificate dated in the old key's window…
    await expect(
      signer.signCertificate(aCertifiedCertificate({ issuedAt: '2026-05-01T00:00:00Z' })),
    ).rejects.toMatchObject({ code: 'KEY_NOT_VALID_AT_ISSUE_TIME' });
  });

  it('rejects a certificate whose issuedAt lies outside the signing key’s published window', async () => {
    // The old key is compromised and used after its retirement: its window refuses it.
    const old = generateEd25519();
    const ring = KeyRing.of([
      {
        kid: 'k1',
        notBefore: T0,
        notAfter: new Date('2026-06-01T00:00:00Z'),
        privateKey: old.privateKey,
        publicKey: old.publicKey,
      },
      {
        kid: 'k2',
        notBefore: new Date('2026-06-01T00:00:00Z'),
        notAfter: null,
        ...generateEd25519(),
      },
    ]);
    const late = aNoOpCertificate({ issuedAt: '2026-07-01T00:00:00Z' });
    const { canonicalJsonBytes } = await import('@lethe/shared/domain');
    const jws = await signCompactJws(
      { alg: 'EdDSA', kid: 'k1', typ: CERTIFICATE_JWS_TYPE },
      canonicalJsonBytes(late),
      old.privateKey,
    );
    await expect(new JoseAuditSigner(ring).verifyCertificate(jws)).rejects.toMatchObject({
      code: 'KEY_NOT_VALID_AT_ISSUE_TIME',
    });
  });
});

describe('key ring configuration', () => {
  const k1 = generateEd25519();
  const k2 = generateEd25519();
  const pem = (k: typeof k1) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  it('loads a current key from a file and a retired public key, from env JSON', () => {
    const files: Record<string, string> = { '/keys/k2.pem': pem(k2) };
    const config = {
      keys: [
        {
          kid: 'k1',
          notBefore: '2026-01-01T00:00:00Z',
          notAfter: '2026-06-01T00:00:00Z',
          publicKey: publicJwkMembers(k1.publicKey),
        },
        { kid: 'k2', notBefore: '2026-06-01T00:00:00Z', privateKeyFile: '/keys/k2.pem' },
      ],
    };
    const ring = keyRingFromEnv({ LETHE_AUDIT_KEYRING: JSON.stringify(config) }, (p) => {
      const text = files[p];
      if (text === undefined) throw new Error(`no file ${p}`);
      return text;
    });
    expect(ring.current().kid).toBe('k2');
    expect(ring.find('k1')?.privateKey).toBeNull();
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual(['k1', 'k2']);
  });

  it.each([
    [
      'two current keys',
      [
        { kid: 'a', notBefore: '2026-01-01T00:00:00Z', privateKey: pem(k1) },
        { kid: 'b', notBefore: '2026-02-01T00:00:00Z', privateKey: pem(k2) },
      ],
    ],
    [
      'overlapping windows',
      [
        {
          kid: 'a',
          notBefore: '2026-01-01T00:00:00Z',
          notAfter: '2026-03-01T00:00:00Z',
          privateKey: pem(k1),
        },
        { kid: 'b', notBefore: '2026-02-01T00:00:00Z', privateKey: pem(k2) },
      ],
    ],
    [
      'a duplicate kid',
      [
        {
          kid: 'a',
          notBefore: '2026-01-01T00:00:00Z',
          notAfter: '2026-02-01T00:00:00Z',
          privateKey: pem(k1),
        },
        { kid: 'a', notBefore: '2026-02-01T00:00:00Z', privateKey: pem(k2) },
      ],
    ],
    [
      'a current key without private key',
      [{ kid: 'a', notBefore: '2026-01-01T00:00:00Z', publicKey: publicJwkMembers(k1.publicKey) }],
    ],
  ])('refuses %s with KEY_RING_INVALID', (_, keys) => {
    expect(() => keyRingFromConfig({ keys })).toThrow(
      expect.objectContaining({ code: 'KEY_RING_INVALID' }),
    );
  });

  it('reads LETHE_AUDIT_KEYRING_FILE from disk, with key files relative to it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lethe-keys-'));
    try {
      writeFileSync(path.join(dir, 'k1.pem'), pem(k1));
      writeFileSync(
        path.join(dir, 'ring.json'),
        JSON.stringify({
          keys: [{ kid: 'k1', notBefore: '2026-01-01T00:00:00Z', privateKeyFile: 'k1.pem' }],
        }),
      );
      const ring = keyRingFromEnv({ LETHE_AUDIT_KEYRING_FILE: path.join(dir, 'ring.json') });
      expect(rawPublicKey(ring.current().publicKey)).toEqual(rawPublicKey(k1.publicKey));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which variable to set when none is', () => {
    expect(() => keyRingFromEnv({})).toThrow(/LETHE_AUDIT_KEYRING/);
  });
});
