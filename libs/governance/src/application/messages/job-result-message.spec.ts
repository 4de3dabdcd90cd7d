import {
  UNLEARNING_RESULT_TYPE_V1,
  unlearningResultMessageId,
  type UnlearningResultDataV1,
} from '@lethe/shared';
import { parseJobResultMessage } from './job-result-message';

const data: UnlearningResultDataV1 = {
  kind: 'progress',
  jobId: 'job-1',
  modelId: 'mnist-demo',
  attempt: 1,
  workerId: 'worker-1',
  at: '2026-11-29T12:00:00.000Z',
  seq: 3,
  stage: 'inverse-hvp',
  done: 30,
  total: 100,
};
const message = (over: Record<string, unknown> = {}, d: object = data) => ({
  specversion: '1.0',
  id: unlearningResultMessageId(d as UnlearningResultDataV1),
  source: 'urn:lethe:unlearning-worker:worker-1',
  type: UNLEARNING_RESULT_TYPE_V1,
  subject: 'mnist-demo',
  time: '2026-11-29T12:00:00.000Z',
  datacontenttype: 'application/json',
  data: d,
  ...over,
});
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseJobResultMessage', () => {
  it('accepts a v1 result and returns it typed', () => {
    expect(parseJobResultMessage(bytes(message()), 'mnist-demo').data).toEqual(data);
    expect(parseJobResultMessage(bytes(message({ subject: 'model/mnist-demo' })), null).id).toBe(
      'job-1/1/progress/3',
    );
  });

  it.each<[string, Buffer | null, string | null, RegExp]>([
    ['no value', null, null, /no value/],
    ['not JSON', Buffer.from('{nope'), null, /not JSON/],
    ['another type', bytes(message({ type: 'lethe.other.v1' })), null, /type/],
    ['an unknown kind', bytes(message({}, { ...data, kind: 'exploded' })), null, /kind/],
    [
      'a measured value where counts belong',
      bytes(message({}, { ...data, done: 0.37 })),
      null,
      /done/,
    ],
    [
      'an id that is not jobId/attempt/kind/seq',
      bytes(message({ id: 'x' })),
      null,
      /job-1\/1\/progress\/3/,
    ],
    ['another model in the subject', bytes(message({ subject: 'other' })), null, /subject/],
    ['another model in the key', bytes(message()), 'other', /Kafka key/],
    [
      'a succeeded result without certificate',
      bytes(message({ id: 'job-1/1/succeeded' }, { ...data, kind: 'succeeded' })),
      null,
      /certificate/,
    ],
  ])('refuses %s with RESULT_INVALID', (_what, value, key, why) => {
    let thrown: unknown;
    try {
      parseJobResultMessage(value, key);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'RESULT_INVALID' });
    expect((thrown as Error).message).toMatch(why);
  });
});
