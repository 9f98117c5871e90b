/**
 * The environment of a process that the journal's crash hook kills at a point
 * (`step:N`, `commit`, `finalize`), with a lease of 1 ms: a killed owner is dead once its
 * lease has expired, so the next command (or `repair`) settles its operation at once.
 */
export function killedAt(point: string): NodeJS.ProcessEnv {
  return { TENANTADM_CRASH_AT: point, TENANTADM_TEST_LEASE_MS: '1' };
}
