import { namespacedTopic, newNamespace } from './test-kafka';

describe('test Kafka namespaces', () => {
  it('derives a topic-safe, unique prefix from the test file name', () => {
    const a = newNamespace('outbox-relay.int-spec.ts');
    const b = newNamespace('outbox-relay.int-spec.ts');
    expect(a).toMatch(/^outbox-relay-[0-9a-f]{8}\.$/);
    expect(a).not.toBe(b);
    expect(newNamespace('Weird Name__ü.e2e-spec.ts')).toMatch(/^weird-name-[0-9a-f]{8}\.$/);
    expect(newNamespace('')).toMatch(/^t-[0-9a-f]{8}\.$/);
  });

  it('prefixes topics and group ids', () => {
    expect(namespacedTopic('x-1234abcd.', 'lethe.unlearning-jobs.v1')).toBe(
      'x-1234abcd.lethe.unlearning-jobs.v1',
    );
  });
});
