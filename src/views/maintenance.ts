/** What the maintenance commands print: the tenants they found, and what they did or would do with each. */
import type { Column } from '../output';

/** A tenant found by `maintenance delete-suspended-tenants`, and whether it goes. */
export interface SuspendedCandidate {
  id: string;
  name: string;
  suspended_since: string | null;
  action: string;
}

export const suspendedCandidateColumns: Column<SuspendedCandidate>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'NAME', get: (r) => r.name, keep: true },
  { header: 'SUSPENDED SINCE', get: (r) => r.suspended_since },
  { header: 'ACTION', get: (r) => r.action },
];

/** A tenant found by `maintenance suspend-tenants-expired-trial`, with its status before or after. */
export interface ExpiredTrialRow {
  id: string;
  name: string;
  trial_expiration: string | null;
  status: string;
}

export const expiredTrialColumns: Column<ExpiredTrialRow>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'NAME', get: (r) => r.name, keep: true },
  { header: 'TRIAL EXPIRATION', get: (r) => r.trial_expiration },
  { header: 'STATUS', get: (r) => r.status },
];
