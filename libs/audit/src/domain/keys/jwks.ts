/** A public JWK as `GET /.well-known/jwks.json` publishes it, with the key's validity window. */
export interface PublishedJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
  /** RFC 3339: the key signs what is issued at or after this instant … */
  readonly notBefore: string;
  /** … and before this one; null while the key is current. */
  readonly notAfter: string | null;
}

/** The JWKS document (RFC 7517 §5): every signing key, current and retired. */
export interface JwksDocument {
  readonly keys: readonly PublishedJwk[];
}
