/** A credential request, checked at once so a bad one fails before any AWS call. */
import { InvalidCredentialRequestError } from './errors.ts';
import { assertSourceIdentity } from './session-name.ts';
import {
  ACCOUNT_ID_PATTERN,
  CUSTOMER_ID_PATTERN,
  ROLE_MAX_SESSION_SECONDS,
  SESSION_DURATION_MIN_SECONDS,
  SESSION_POLICY_MAX_CHARS,
} from './sts-limits.ts';

export interface CredentialRequest {
  customerId: string;
  accountId: string;
  /** Names the calling worker in CloudTrail (STS SourceIdentity); defaults to the broker's. */
  sourceIdentity?: string;
  /** 900–3600 (the customer role's MaxSessionDuration); default 3600. */
  durationSeconds?: number;
  /** An inline session policy that narrows the role's permissions for this session. */
  sessionPolicy?: string | Record<string, unknown>;
}

export type ParsedRequest = Required<
  Pick<CredentialRequest, 'customerId' | 'accountId' | 'durationSeconds'>
> & {
  sourceIdentity: string;
  sessionPolicy?: string | undefined;
};

type Issue = { path: string; message: string };

function durationIssue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be a whole number of seconds';
  if (value < SESSION_DURATION_MIN_SECONDS) return `must be at least ${SESSION_DURATION_MIN_SECONDS} seconds`;
  if (value > ROLE_MAX_SESSION_SECONDS) {
    return `must be at most ${ROLE_MAX_SESSION_SECONDS} seconds (the role's maximum)`;
  }
  return undefined;
}

function policyText(policy: unknown, issues: Issue[]): string | undefined {
  if (policy === undefined) return undefined;
  const text = typeof policy === 'object' && policy !== null ? JSON.stringify(policy) : policy;
  if (typeof text !== 'string' || text.length === 0) {
    issues.push({ path: 'sessionPolicy', message: 'must be a policy document or its JSON text' });
    return undefined;
  }
  if (text.length > SESSION_POLICY_MAX_CHARS) {
    issues.push({ path: 'sessionPolicy', message: `must be at most ${SESSION_POLICY_MAX_CHARS} characters` });
  }
  return text;
}

/** The request with its defaults, or an InvalidCredentialRequestError naming every bad field. */
export function parseCredentialRequest(
  request: CredentialRequest,
  defaultSourceIdentity: string,
): ParsedRequest {
  const { customerId, accountId, durationSeconds, sourceIdentity } = request ?? {};
  const issues: Issue[] = [];
  if (typeof customerId !== 'string' || !CUSTOMER_ID_PATTERN.test(customerId)) {
    issues.push({
      path: 'customerId',
      message: 'must be 1–128 letters, digits and _ . @ + = : - (starting with a letter or digit)',
    });
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId)) {
    issues.push({ path: 'accountId', message: 'must be a 12-digit AWS account id' });
  }
  const duration = durationIssue(durationSeconds);
  if (duration) issues.push({ path: 'durationSeconds', message: duration });
  const sessionPolicy = policyText(request?.sessionPolicy, issues);
  let identity = defaultSourceIdentity;
  if (sourceIdentity !== undefined) {
    try {
      identity = assertSourceIdentity(sourceIdentity);
    } catch {
      issues.push({
        path: 'sourceIdentity',
        message: 'must be 2–64 characters of letters, digits and +=,.@_-',
      });
    }
  }
  if (issues.length > 0) {
    throw new InvalidCredentialRequestError(
      `Invalid credential request: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
      issues,
    );
  }
  return {
    customerId,
    accountId,
    durationSeconds: durationSeconds ?? ROLE_MAX_SESSION_SECONDS,
    sourceIdentity: identity,
    sessionPolicy,
  };
}
