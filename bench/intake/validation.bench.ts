/**
 * Validation cost per deletion event (issue 12): the intake's zod 4 schema (the one both doors
 * use, libs/governance/src/contracts/deletion-requested.v1.ts) side by side with the ajv
 * validator it replaced (bench/intake/baseline/) and with the same schema written in zod 3, on
 * the same realistic CloudEvent, as its scope grows (0 … 1,000 record ids). In one process, the
 * implementations interleaved in every round; each figure is the median of the rounds.
 *
 *   npm run bench:intake:validation                 # LETHE_BENCH_N=100000 LETHE_BENCH_ROUNDS=5
 *
 * Rows: "schema" is the schema check alone on an already parsed object (what ajv did); "door" is
 * DeletionRequestValidator.fromBytes, the whole Kafka door (UTF-8 decode, JSON.parse, pre-checks,
 * schema, subject and deadline rules); "JSON.parse" is the decode and parse alone, for scale.
 */
import { performance } from 'node:perf_hooks';
import { z as z3 } from 'zod';
import { DeletionRequestValidator } from '@lethe/governance/application/commands/request-deletion/request-deletion.dto';
import { deletionRequestedSchema } from '@lethe/governance/contracts/deletion-requested.v1';
import { compileAjvValidator } from './baseline/ajv-validator';

const N = Number(process.env.LETHE_BENCH_N ?? 100_000);
const ROUNDS = Number(process.env.LETHE_BENCH_ROUNDS ?? 5);
const SCOPES = [0, 10, 100, 1000];

/** The same contract in zod 3 (the version the rest of the HTTP layer uses), for comparison. */
const id3 = (max: number) => z3.string().min(1).max(max);
const unique3 = (max: number) =>
  z3
    .array(id3(200))
    .min(1)
    .max(max)
    .refine((a) => new Set(a).size === a.length, 'must not have duplicate items');
const zod3Schema = z3.object({
  specversion: z3.literal('1.0'),
  id: id3(200),
  source: id3(500),
  type: z3.literal('lethe.deletion.requested.v1'),
  subject: id3(200).optional(),
  time: z3.string().datetime({ offset: true }).optional(),
  datacontenttype: z3.literal('application/json').optional(),
  dataschema: z3.string().url().optional(),
  data: z3
    .object({
      subjectId: id3(200),
      scope: z3
        .object({ datasetIds: unique3(100).optional(), recordIds: unique3(10_000).optional() })
        .strict()
        .optional(),
      legalBasis: z3.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      deadline: z3.string().datetime({ offset: true }).optional(),
    })
    .strict(),
});

const eventWith = (records: number) => ({
  specversion: '1.0',
  id: '2b7c1c7e-5d0a-4a59-9a7e-0c1f4d1f8a10',
  source: 'urn:lethe:app:crm',
  type: 'lethe.deletion.requested.v1',
  subject: 'user-42',
  time: '2026-11-26T12:00:00Z',
  datacontenttype: 'application/json',
  dataschema: 'https://lethe.example/schemas/deletion-requested.v1.json',
  data: {
    subjectId: 'user-42',
    scope: {
      datasetIds: ['mnist-demo'],
      ...(records > 0 ? { recordIds: Array.from({ length: records }, (_, i) => `rec-${i}`) } : {}),
    },
    legalBasis: 'gdpr-art-17',
    deadline: '2026-12-26T12:00:00Z',
  },
});

interface Case {
  readonly name: string;
  readonly run: () => boolean;
}

/** ns per call over n calls; the result is checked so nothing is optimised away. */
const time = (c: Case, n: number): number => {
  let ok = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (c.run()) ok++;
  const ns = ((performance.now() - t0) * 1e6) / n;
  if (ok !== n) throw new Error(`${c.name}: ${n - ok} of ${n} unexpected results`);
  return ns;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (ns: number) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);
const perSec = (ns: number) => `${Math.round(1e9 / ns).toLocaleString('en-US')}/s`;

function main(): void {
  const ajv = compileAjvValidator();
  const door = new DeletionRequestValidator(1 << 20);
  console.log(
    `validation cost per event: N = ${N} validations per figure (fewer above 100 records: ` +
      `N / records × 100), median of ${ROUNDS} rounds, node ${process.version}\n`,
  );
  console.log(
    '| record ids in scope | bytes | ajv (before) | zod 4 (after) | zod 3 | zod 4 ÷ ajv | door: bytes → event (zod 4) | JSON.parse alone |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const records of SCOPES) {
    const event = eventWith(records);
    const bytes = Buffer.from(JSON.stringify(event));
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const cases: Case[] = [
      { name: 'ajv', run: () => ajv(event) },
      { name: 'zod4', run: () => deletionRequestedSchema.safeParse(event).success },
      { name: 'zod3', run: () => zod3Schema.safeParse(event).success },
      { name: 'door', run: () => door.fromBytes(bytes).ok },
      { name: 'parse', run: () => typeof JSON.parse(decoder.decode(bytes)) === 'object' },
    ];
    const n = Math.max(1000, Math.round(records > 100 ? (N * 100) / records : N));
    for (const c of cases) time(c, Math.min(n, 5000)); // warm-up
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let r = 0; r < ROUNDS; r++) for (const c of cases) samples.get(c.name)?.push(time(c, n));
    const m = (name: string) => median(samples.get(name) ?? []);
    console.log(
      `| ${records} | ${bytes.length} | ${fmt(m('ajv'))} (${perSec(m('ajv'))}) | ` +
        `${fmt(m('zod4'))} (${perSec(m('zod4'))}) | ${fmt(m('zod3'))} | ` +
        `${(m('zod4') / m('ajv')).toFixed(2)} | ${fmt(m('door'))} (${perSec(m('door'))}) | ` +
        `${fmt(m('parse'))} |`,
    );
  }
  // The error path (a DLQ'd event): a bad deadline, one violation.
  const bad = eventWith(10);
  bad.data.deadline = 'next week';
  const badCases: Case[] = [
    { name: 'ajv', run: () => !ajv(bad) },
    { name: 'zod4', run: () => !deletionRequestedSchema.safeParse(bad).success },
    { name: 'zod3', run: () => !zod3Schema.safeParse(bad).success },
  ];
  const s = new Map<string, number[]>(badCases.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) for (const c of badCases) s.get(c.name)?.push(time(c, N / 10));
  const b = (name: string) => median(s.get(name) ?? []);
  console.log(
    `\ninvalid event (10 record ids, bad deadline), schema check: ajv ${fmt(b('ajv'))}, ` +
      `zod 4 ${fmt(b('zod4'))}, zod 3 ${fmt(b('zod3'))}`,
  );
}

main();
