/**
 * Mender's services, through their internal APIs, for the changes only they can make
 * completely (Enterprise useradm registers a new user with tenantadm for login; deployments
 * checks a bucket before it takes storage settings; deviceauth invalidates its own cache).
 * Every call is a journal step (journal/journal.ts) with an undo, so a failure or a kill leaves
 * nothing half-done. Paths are Mender's; see shared/mender-server/README.md.
 */
import { ConflictError, ServiceError, UnreachableError } from '../errors';
import { ENV, type ServiceAddresses } from '../config';

export type ServiceName = keyof ServiceAddresses;

/** Mender's storage settings in deployments' API form (the stored form has `type` as 0 / 1). */
export interface MenderStorageSettings {
  type: 's3' | 'azure';
  region?: string;
  bucket?: string;
  uri?: string;
  external_uri?: string;
  key?: string;
  secret?: string;
  token?: string;
  connection_string?: string;
  force_path_style?: boolean;
  use_accelerate?: boolean;
}

/** A call as the journal records it; values are in the service's own terms. */
export type ServiceCall =
  | { op: 'limit.put'; service: 'deviceauth'; tenantId: string; name: string; value: number; previous: number | null }
  | { op: 'user.create'; service: 'useradm'; tenantId: string; email: string; passwordHash: string }
  | { op: 'storage.put'; service: 'deployments'; tenantId: string; settings: MenderStorageSettings | null; previous: MenderStorageSettings | null }
  | { op: 'tokens.revoke'; service: 'deviceauth' | 'useradm'; tenantId: string }
  /** Roll-forward only (a tenant's removal): the service's own removal of all the tenant's data, where it routes one. */
  | { op: 'tenant.remove'; service: ServiceName; tenantId: string }
  /** Roll-forward only: a removed tenant's limit, through deviceauth so that its cached copy goes too. */
  | { op: 'limit.remove'; service: 'deviceauth'; tenantId: string; name: string };

/** What a service did with a tenant-removal call: removed the data, or has no such endpoint (open-source builds). */
export type RemovalOutcome = 'removed' | 'not_routed';

/** The path segment each service's internal API lives under. */
const API_NAME: Record<ServiceName, string> = { deviceauth: 'devauth', useradm: 'useradm', deployments: 'deployments' };

const ALIVE: Record<ServiceName, string> = {
  deviceauth: '/api/internal/v1/devauth/alive',
  useradm: '/api/internal/v1/useradm/alive',
  deployments: '/api/internal/v1/deployments/alive',
};

/** The variable that gives each service's address. */
export const SERVICE_ENV: Record<ServiceName, string> = {
  deviceauth: ENV.deviceauthAddr,
  useradm: ENV.useradmAddr,
  deployments: ENV.deploymentsAddr,
};

interface Answer {
  status: number;
  body: unknown;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Mender's error bodies are `{"error": "...", "request_id": "..."}`. */
function reason(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  if (typeof body === 'string' && body.trim()) return body.trim().split('\n')[0]!.slice(0, 200);
  return 'no details';
}

/**
 * Whether a service is reached through its internal API (its address is set) or written
 * directly in its database: every such choice, for every service, is made by this test.
 */
export function servedBy(addresses: ServiceAddresses, service: ServiceName): boolean {
  return addresses[service] !== undefined;
}

export class MenderServices {
  /** Tenant-removal answers seen by this process, by `<service>/<tenant id>` (for the command's result). */
  readonly removals = new Map<string, RemovalOutcome>();

  constructor(
    readonly addresses: ServiceAddresses,
    private readonly timeoutMs: number,
  ) {}

  has(service: ServiceName): boolean {
    return servedBy(this.addresses, service);
  }

  private base(service: ServiceName): string {
    const base = this.addresses[service];
    if (!base) {
      throw new UnreachableError(
        `the ${service} service is needed to settle this change, and its address is not set`,
        `set ${SERVICE_ENV[service]} (or --${service}-addr) as it was when the change was made`,
      );
    }
    return base;
  }

  /** One HTTP exchange; a network failure is exit 6 and names the service. */
  async request(service: ServiceName, method: string, path: string, body?: unknown): Promise<Answer> {
    const url = `${this.base(service)}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      // A refused connection or an unknown host never carried the request; a timeout may have.
      const delivered = !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(cause?.code ?? '');
      throw new UnreachableError(`cannot reach the ${service} service at ${this.base(service)}: ${why}`, `check ${SERVICE_ENV[service]} / --${service}-addr`, {
        service,
        delivered,
      });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text for the error message.
    }
    return { status: res.status, body: parsed };
  }

  private async expect(service: ServiceName, method: string, path: string, body: unknown, ok: number[], what: string): Promise<Answer> {
    const answer = await this.request(service, method, path, body);
    if (ok.includes(answer.status)) return answer;
    const message = `${service} refused to ${what}: ${answer.status} ${reason(answer.body)}`;
    if (answer.status === 409) throw new ConflictError(message, 'nothing was changed', { service, status: answer.status });
    throw new ServiceError(message, 'nothing was changed; fix what the service names, or run without the service address to write the database directly', {
      service,
      status: answer.status,
    });
  }

  /** True when the service answers its liveness probe. */
  async alive(service: ServiceName): Promise<boolean> {
    try {
      return (await this.request(service, 'GET', ALIVE[service])).status < 300;
    } catch {
      return false;
    }
  }

  async apply(call: ServiceCall): Promise<void> {
    switch (call.op) {
      case 'limit.put':
        await this.expect('deviceauth', 'PUT', limitPath(call.tenantId, call.name), { limit: call.value }, [200, 204], `set ${call.name} of tenant ${call.tenantId}`);
        return;
      case 'user.create':
        await this.expect(
          'useradm',
          'POST',
          `/api/internal/v1/useradm/tenants/${enc(call.tenantId)}/users`,
          // A hash, not the password: the journal that records this call never holds a password.
          { email: call.email, password_hash: call.passwordHash, propagate: true },
          [200, 201, 204],
          `create user ${call.email} in tenant ${call.tenantId}`,
        );
        return;
      case 'storage.put':
        await this.putStorage(call.tenantId, call.settings);
        return;
      case 'tenant.remove': {
        // Mender's published internal API; the open-source builds route none of them (404 / 405 from
        // their router): the sweep that follows removes what the service would have.
        const path = `/api/internal/v1/${API_NAME[call.service]}/tenants/${enc(call.tenantId)}`;
        const answer = await this.request(call.service, 'DELETE', path);
        if (answer.status === 404 || answer.status === 405) {
          this.removals.set(`${call.service}/${call.tenantId}`, 'not_routed');
          return;
        }
        if (answer.status >= 300) {
          throw new ServiceError(`${call.service} refused to remove tenant ${call.tenantId}: ${answer.status} ${reason(answer.body)}`, 'run `tenantadm repair` once it is fixed: the removal is finished then', {
            service: call.service,
            status: answer.status,
          });
        }
        this.removals.set(`${call.service}/${call.tenantId}`, 'removed');
        return;
      }
      case 'limit.remove':
        await this.expect('deviceauth', 'DELETE', limitPath(call.tenantId, call.name), undefined, [200, 204, 404], `remove ${call.name} of tenant ${call.tenantId}`);
        return;
      case 'tokens.revoke':
        // 404: the tenant had no tokens, which is what revocation wants.
        await this.expect(
          call.service,
          'DELETE',
          `/api/internal/v1/${call.service === 'deviceauth' ? 'devauth' : 'useradm'}/tokens?tenant_id=${enc(call.tenantId)}`,
          undefined,
          [200, 204, 404],
          `revoke the tokens of tenant ${call.tenantId}`,
        );
        return;
    }
  }

  /** Put back what `apply` changed; safe to run when `apply` never ran. */
  async undo(call: ServiceCall): Promise<void> {
    switch (call.op) {
      case 'limit.put':
        if (call.previous === null) {
          await this.expect('deviceauth', 'DELETE', limitPath(call.tenantId, call.name), undefined, [200, 204, 404], `remove ${call.name} of tenant ${call.tenantId}`);
        } else {
          await this.expect('deviceauth', 'PUT', limitPath(call.tenantId, call.name), { limit: call.previous }, [200, 204], `restore ${call.name} of tenant ${call.tenantId}`);
        }
        return;
      case 'user.create': {
        // Only the user this call created: same tenant and email (emails are unique).
        const users = await this.expect('useradm', 'GET', `/api/internal/v1/useradm/tenants/${enc(call.tenantId)}/users`, undefined, [200], `list the users of tenant ${call.tenantId}`);
        const list = Array.isArray(users.body) ? (users.body as { id?: string; email?: string }[]) : [];
        for (const u of list.filter((x) => x.email === call.email && x.id)) {
          await this.expect('useradm', 'DELETE', `/api/internal/v1/useradm/tenants/${enc(call.tenantId)}/users/${enc(u.id!)}`, undefined, [200, 204, 404], `remove user ${call.email}`);
        }
        return;
      }
      case 'storage.put':
        await this.putStorage(call.tenantId, call.previous);
        return;
      case 'tokens.revoke':
      case 'tenant.remove':
      case 'limit.remove':
        return;
    }
  }

  private async putStorage(tenantId: string, settings: MenderStorageSettings | null): Promise<void> {
    const path = `/api/internal/v1/deployments/tenants/${enc(tenantId)}/storage/settings`;
    // An empty body clears a tenant's own storage (back to the shared store).
    await this.expect('deployments', 'PUT', path, settings ?? {}, [200, 204], settings ? `take the storage settings of tenant ${tenantId}` : `clear the storage settings of tenant ${tenantId}`);
  }
}

function limitPath(tenantId: string, name: string): string {
  return `/api/internal/v1/devauth/tenant/${enc(tenantId)}/limits/${enc(name)}`;
}
