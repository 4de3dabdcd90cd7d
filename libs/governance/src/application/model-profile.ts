import { jobProfileSchema } from '@lethe/unlearning/application/jobs/job-profile';
import { GovernanceError } from '../domain/governance.errors';
import type { ModelProfileJson } from '../domain/model/model.events';

/*
 * The training profile and unlearning policy of a model, validated with the worker's own schema
 * (`jobProfileSchema` of @lethe/unlearning), so the governance service never records a profile or
 * a policy the worker would refuse. Bad input: INVALID_POLICY (400) with the issues, and nothing
 * is recorded.
 */

const refuse = (what: string, issues: readonly string[]): never => {
  throw new GovernanceError('INVALID_POLICY', `invalid ${what}: ${issues.slice(0, 5).join('; ')}`, {
    violations: issues.slice(0, 20),
  });
};

const issuesOf = (e: { issues: readonly { path: (string | number)[]; message: string }[] }) =>
  e.issues.map((i) => `/${i.path.join('/')} ${i.message}`);

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A registration's profile: validated, then kept as given (the worker fills its defaults in the
 * same way) with the policy completed by its defaults, which is what `GET /v1/models/:id` shows.
 */
export const validateModelProfile = (
  profile: Readonly<Record<string, unknown>>,
): { readonly profile: ModelProfileJson; readonly policy: ModelProfileJson } => {
  const r = jobProfileSchema.safeParse(profile);
  if (!r.success) return refuse('training profile', issuesOf(r.error));
  return { profile, policy: r.data.policy };
};

/**
 * A new policy for a registered model: checked together with the architecture and recipe the
 * model was registered with (a method that needs a given architecture is refused on another), and
 * returned with its defaults filled in.
 */
export const validateModelPolicy = (
  registered: ModelProfileJson | null | undefined,
  policy: unknown,
): ModelProfileJson => {
  if (!isObject(policy)) return refuse('policy', ['/ must be a JSON object']);
  const { architecture, recipe } = registered ?? {};
  const r = jobProfileSchema.safeParse({
    ...(architecture === undefined ? {} : { architecture }),
    ...(recipe === undefined ? {} : { recipe }),
    policy,
  });
  if (!r.success) {
    // Paths relative to the policy (the body of the route).
    return refuse(
      'policy',
      issuesOf(r.error).map((i) => (i.startsWith('/policy') ? i.slice('/policy'.length) : i)),
    );
  }
  return r.data.policy;
};
