/** audit forward: the entries Mender's audit log is missing, delivered oldest first and recorded. */
import type { OptionsOf } from '../../options';
import type { auditForwardOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { UsageError } from '../../errors';
import { ENV } from '../../config';
import { parseTenantId } from '../../domain/tenant';
import { parseAuditTime } from '../../domain/audit';
import type { StoredEntry } from '../../mender/workflows';

export type AuditForwardOptions = OptionsOf<typeof auditForwardOptions>;

export async function auditForward(options: AuditForwardOptions, deps: Deps): Promise<Result> {
  const since = options.since === undefined ? undefined : parseAuditTime(options.since, deps.now(), '--since');
  const tenant = options.tenant === undefined ? undefined : parseTenantId(options.tenant, '--tenant');
  if (!options.dryRun && deps.config.orchestrator === undefined) {
    throw new UsageError(`${ENV.orchestratorAddr} is not set: there is no Mender audit log to send to`, `set it (or --orchestrator-addr) to Mender's workflows service, e.g. http://mender-workflows-server:8080`);
  }
  const store = await deps.store();
  const delivery = store.delivery;
  const summary = { sent: 0, skipped: 0, waiting: 0 };
  const progress = deps.progress('audit entries sent');
  try {
    for await (const batch of store.audit.undelivered({ ...(tenant ? { tenantIds: [tenant] } : {}), ...(since ? { since } : {}) })) {
      if (options.dryRun || !delivery) {
        summary.waiting += batch.length;
        continue;
      }
      const outcome = await delivery.deliver(batch as StoredEntry[]);
      await store.audit.recordDeliveries(outcome);
      summary.sent += outcome.delivered.length;
      summary.skipped += outcome.skipped.length;
      progress.tick(outcome.delivered.length);
      if (outcome.failure) {
        const f = outcome.failure;
        f.message = `${f.message} (${summary.sent} sent before it; the rest wait for the next run)`;
        throw f;
      }
    }
  } finally {
    progress.done();
  }
  if (options.dryRun) deps.warn(`dry run: ${summary.waiting} entr${summary.waiting === 1 ? 'y' : 'ies'} would be sent; nothing was sent`);
  return { type: 'object', data: summary };
}
