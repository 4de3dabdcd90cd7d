import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';

export interface TokenOptions {
  readonly sub?: string;
  readonly roles?: readonly string[];
  /** Claims to add or override (e.g. `{ realm_access: { roles: [...] } }`). */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  readonly expiresIn?: number;
  /** Sign with a key the issuer does not publish (a forged token), with the published kid. */
  readonly forged?: boolean;
}

/**
 * A local OIDC issuer for tests: a node http server serving its discovery document and JWKS (an
 * ES256 key pair from jose's generateKeyPair), and minting tokens signed with that key or, to
 * forge one, with another key under the same kid.
 */
export class TestOidcIssuer {
  static readonly audience = 'lethe-api';
  private server: Server | undefined;
  private baseUrl = '';
  /** JWKS fetches served (a cache that works keeps this small). */
  jwksRequests = 0;

  private constructor(
    private readonly key: KeyLike,
    private readonly forger: KeyLike,
    private readonly jwk: Record<string, unknown>,
  ) {}

  static async start(): Promise<TestOidcIssuer> {
    const pair = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'test-key-1',
      alg: 'ES256',
      use: 'sig',
    };
    const issuer = new TestOidcIssuer(pair.privateKey, other.privateKey, jwk);
    await issuer.listen();
    return issuer;
  }

  get issuer(): string {
    return this.baseUrl;
  }

  get jwksUrl(): string {
    return `${this.baseUrl}/jwks.json`;
  }

  async token(o: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      ...(o.roles ? { roles: [...o.roles] } : {}),
      ...o.claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key-1', typ: 'JWT' })
      .setIssuer(o.issuer ?? this.issuer)
      .setAudience(o.audience ?? TestOidcIssuer.audience)
      .setSubject(o.sub ?? 'person-1')
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (o.expiresIn ?? 300))
      .sign(o.forged ? this.forger : this.key);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: this.jwksUrl }));
      } else if (req.url === '/jwks.json') {
        this.jwksRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [this.jwk] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
}
