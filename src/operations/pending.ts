/**
 * Readers and operations still under way (issue #18): a tenant whose records an operation is
 * still writing is not a finished tenant. Readers read the journal once (empty almost always:
 * one query, never one per tenant) and say on stderr which operation holds each tenant they
 * show, since when and from when it can be settled; stdout stays the data. Readers never
 * settle anything themselves: `tenantadm repair` (or the next change) does.
 */
import type { Deps } from '../deps';
import type { PendingOperation, Store } from '../store';
import { ConflictError } from '../errors';
import { pendingOperationText, settleText, warnPendingTenant } from '../notices';

export class PendingTenants {
  private readonly byTenant = new Map<string, PendingOperation>();

  private constructor(
    readonly operations: PendingOperation[],
    private readonly deps: Pick<Deps, 'warn' | 'warned' | 'quiet'>,
  ) {
    for (const op of operations) for (const t of op.tenants) if (!this.byTenant.has(t)) this.byTenant.set(t, op);
  }

  static async read(store: Store, deps: Pick<Deps, 'warn' | 'warned' | 'quiet'>): Promise<PendingTenants> {
    return new PendingTenants(await store.pendingOperations(), deps);
  }

  get none(): boolean {
    return this.byTenant.size === 0;
  }

  of(tenantId: string): PendingOperation | undefined {
    return this.byTenant.get(tenantId);
  }

  /** Says on stderr (once per operation) that this tenant, about to be shown, is being changed. */
  note(tenant: { id: string; name?: string }): void {
    const op = this.byTenant.get(tenant.id);
    if (op) warnPendingTenant(this.deps, op, tenant);
  }

  /** Says on stderr (once) that this operation is under way, named by its first tenant. */
  noteOperation(op: PendingOperation): void {
    if (op.tenants.length > 0) warnPendingTenant(this.deps, op, { id: op.tenants[0]! });
  }

  /** Rows passed through unchanged, each tenant row noted as it goes out. */
  async *noting<T>(rows: AsyncIterable<T>, tenantOf: (row: T) => { id: string; name?: string } | null): AsyncGenerator<T> {
    for await (const row of rows) {
      if (!this.none) {
        const t = tenantOf(row);
        if (t) this.note(t);
      }
      yield row;
    }
  }

  /**
   * Exit 4 when any of these tenants is being changed: for `diff`, whose changes computed
   * against a half-made tenant would tell a script to undo or redo what is still being written.
   */
  refuseAny(tenants: readonly { id: string; name?: string }[], what: string): void {
    if (this.none) return;
    const held = tenants.filter((t) => this.byTenant.has(t.id));
    if (held.length === 0) return;
    const first = held[0]!;
    const op = this.byTenant.get(first.id)!;
    const ops = [...new Set(held.map((t) => this.byTenant.get(t.id)!))];
    const more = ops.length > 1 ? ` (and ${ops.length - 1} more operation${ops.length > 2 ? 's' : ''}: ${ops.slice(1).map((o) => o.id).join(', ')})` : '';
    throw new ConflictError(
      `tenant "${first.name ?? first.id}" (id ${first.id}) is being changed by ${pendingOperationText(op)}${more}: ${what} would compare with a half-made state`,
      `run it again once the operation is finished; ${settleText(op)}`,
      {
        operations: ops.map((o) => ({
          id: o.id,
          command: o.command,
          host: o.host,
          pid: o.pid,
          since: o.since.toISOString(),
          settle_after: o.lease_until.toISOString(),
          owner_gone: o.gone,
          tenants: held.filter((t) => this.byTenant.get(t.id) === o).map((t) => t.id),
        })),
      },
    );
  }
}
