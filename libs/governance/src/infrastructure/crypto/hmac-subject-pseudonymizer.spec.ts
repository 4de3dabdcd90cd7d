import { createHmac } from 'node:crypto';
import { SubjectId } from '@lethe/shared';
import { HmacSubjectPseudonymizer } from './hmac-subject-pseudonymizer';

describe('HmacSubjectPseudonymizer', () => {
  const key = 'k'.repeat(32);
  const p = new HmacSubjectPseudonymizer(key);

  it('is a keyed HMAC-SHA256, stable, and reveals nothing of the id', () => {
    const ref = p.refOf(SubjectId('user-42'));
    const expected = createHmac('sha256', key).update('user-42').digest('base64url');
    expect(ref).toBe(`sr1_${expected}`);
    expect(p.refOf(SubjectId('user-42'))).toBe(ref);
    expect(ref).not.toContain('user');
  });

  it('depends on the key', () => {
    expect(new HmacSubjectPseudonymizer('z'.repeat(32)).refOf(SubjectId('user-42'))).not.toBe(
      p.refOf(SubjectId('user-42')),
    );
  });

  it('refuses a short key', () => {
    expect(() => new HmacSubjectPseudonymizer('short')).toThrow();
  });
});
