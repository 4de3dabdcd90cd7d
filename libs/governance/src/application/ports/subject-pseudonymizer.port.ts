import type { SubjectId, SubjectRef } from '@lethe/shared';

/** Turns a raw subject id into the pseudonymous reference that events, logs and messages carry. */
export interface SubjectPseudonymizer {
  refOf(subjectId: SubjectId): SubjectRef;
}

export const SUBJECT_PSEUDONYMIZER = Symbol('SubjectPseudonymizer');
