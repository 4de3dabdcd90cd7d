import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * Response schemas of the audit routes, for the OpenAPI document (nestjs-zod DTOs over zod
 * schemas). They describe the views of `application/queries/*`; signed bodies are open objects
 * whose exact fields the JWS carries (docs/contracts.md).
 */
const hex = (what: string) => z.string().describe(`hex ${what}`);

export const publishedJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  kid: z.string(),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
  notBefore: z.string().datetime().describe('signs what is issued at or after this instant'),
  notAfter: z.string().datetime().nullable().describe('… and before this one; null: current'),
});

export const jwksSchema = z.object({ keys: z.array(publishedJwkSchema) });
export class JwksDto extends createZodDto(jwksSchema) {}

export const checkpointViewSchema = z.object({
  treeSize: z.number().int(),
  rootHash: hex('Merkle tree hash'),
  jws: z.string().describe('compact JWS (EdDSA) of the checkpoint body'),
  kid: z.string(),
  body: z
    .object({
      schema: z.string(),
      origin: z.string(),
      treeSize: z.number().int(),
      rootHash: z.string(),
      chainHead: z.string(),
      issuedAt: z.string().datetime(),
    })
    .passthrough(),
});
export class CheckpointViewDto extends createZodDto(checkpointViewSchema) {}

export class ConsistencyProofViewDto extends createZodDto(
  z.object({
    from: z.number().int(),
    to: z.number().int(),
    hashes: z.array(z.string()).describe('hex RFC 9162 consistency proof'),
    fromCheckpoint: checkpointViewSchema.nullable().describe('null for size 0 (the empty tree)'),
    toCheckpoint: checkpointViewSchema,
  }),
) {}

export class CertificateViewDto extends createZodDto(
  z.object({
    certificateId: z.string(),
    jws: z.string().describe('the compact JWS exactly as appended'),
    kid: z.string(),
    payload: z
      .object({ certificateId: z.string() })
      .passthrough()
      .describe('the decoded certificate payload (docs/contracts.md)'),
    inclusionProof: z.object({
      leafIndex: z.number().int(),
      treeSize: z.number().int(),
      leafData: hex('leaf data (canonical JSON of the entry)'),
      leafHash: hex('leaf hash SHA-256(0x00 ‖ data)'),
      hashes: z.array(z.string()).describe('hex audit path, bottom up'),
    }),
    checkpoint: checkpointViewSchema,
  }),
) {}

export class ExportManifestDto extends createZodDto(
  z.object({
    jws: z.string().describe('compact JWS (EdDSA) of the body'),
    body: z
      .object({
        schema: z.string(),
        origin: z.string(),
        format: z.enum(['jsonl', 'csv']),
        range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
        treeSize: z.number().int(),
        firstLeafIndex: z.number().int().nullable(),
        lastLeafIndex: z.number().int().nullable(),
        recordCount: z.number().int(),
        contentBytes: z.number().int(),
        contentSha256: hex('SHA-256 of the content'),
        checkpoint: z.string().describe('the signed checkpoint (compact JWS) of size treeSize'),
        jwks: jwksSchema,
        issuedAt: z.string().datetime(),
      })
      .passthrough(),
  }),
) {}
