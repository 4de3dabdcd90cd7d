import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyExport } from '@lethe/audit/application/verify-export/verify-export';
import { joseExportVerifier } from '@lethe/audit/infrastructure/jose/export-verifier';
import type { JwksDocument } from '@lethe/audit/domain/keys/jwks';
import { CliError, EXIT, progress } from '../io';

interface VerifyOptions {
  manifest?: string;
  jwks?: string;
  json?: boolean;
  quiet?: boolean;
}

const readJson = (path: string, what: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read the ${what} ${path}: ${(e as Error).message}`, EXIT.IO);
  }
};

/** `lethe verify <export> [--manifest <file>] [--jwks <file>]`: offline, logic in @lethe/audit. */
export function verifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'Verify an audit export offline: every certificate signature, the hash chain, each inclusion ' +
        'proof against the signed checkpoint, the checkpoint and manifest signatures, and the ' +
        "manifest's count and SHA-256. Exits 1 and names the first bad record.",
    )
    .argument('<export>', 'the export file (JSONL or CSV, as served)')
    .option('--manifest <file>', 'the signed manifest (default: <export>.manifest.json)')
    .option(
      '--jwks <file>',
      "verify with this JWKS (e.g. a saved /.well-known/jwks.json) instead of the manifest's",
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress bar')
    .action(async (file: string, opts: VerifyOptions) => {
      const manifestPath = opts.manifest ?? `${file}.manifest.json`;
      if (!existsSync(file)) throw new CliError(`no export file ${file}`, EXIT.IO);
      if (!existsSync(manifestPath)) {
        throw new CliError(`no manifest ${manifestPath} (pass --manifest <file>)`, EXIT.IO);
      }
      const manifest = readJson(manifestPath, 'manifest');
      const trustedJwks = opts.jwks ? (readJson(opts.jwks, 'JWKS') as JwksDocument) : undefined;
      const bar = progress(opts.quiet);
      bar.start(statSync(file).size, 'verify');
      const result = await verifyExport(createReadStream(file), manifest, joseExportVerifier, {
        trustedJwks,
        onProgress: (n) => bar.update(n),
      }).finally(() => bar.stop());
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) {
        const p = result.problem;
        const where =
          p.line === null
            ? 'manifest'
            : `line ${p.line}${p.leafIndex === null ? '' : ` (leaf ${p.leafIndex})`}` +
              `${p.certificateId === null ? '' : `, certificate ${p.certificateId}`}`;
        if (!opts.json) process.stderr.write(`FAILED ${where}: ${p.check}: ${p.message}\n`);
        process.exitCode = EXIT.FAILED;
        return;
      }
      if (!opts.json) {
        const s = result.summary;
        const kids = Object.entries(s.certificateKids)
          .map(([kid, n]) => `${kid}×${n}`)
          .join(', ');
        process.stdout.write(
          [
            `OK ${file}`,
            `  records        ${s.records} (${s.certificates} certificates, ${s.outcomes} outcomes), leaves ${s.firstLeafIndex ?? '-'}..${s.lastLeafIndex ?? '-'}`,
            `  checkpoint     ${s.origin}, tree size ${s.treeSize}, root ${s.rootHash} (key ${s.checkpointKid})`,
            `  content        ${s.format}, ${s.contentBytes} bytes, sha256 ${s.contentSha256}`,
            `  signatures     certificates by ${kids || '-'}; manifest by ${s.manifestKid}`,
            `  keys           ${opts.jwks ? `pinned JWKS ${opts.jwks}` : "the manifest's JWKS (pin one with --jwks)"}`,
            '',
          ].join('\n'),
        );
      }
    });
}
