/** What the global setup hands to the test files: the servers it started (FerretDB, redis, Mender's services) and where. */
import os from 'node:os';
import path from 'node:path';

export interface HarnessState {
  dir: string;
  keyFile: string;
  uri: string;
  pid: number;
  server: 'ferretdb' | 'mongodb';
  /** A throw-away redis-server with a password (absent when redis-server is not installed). */
  redis?: { url: string; host: string; port: number; password: string };
  /** Mender's own services per version, each on its own FerretDB (absent with TENANTADM_NO_MENDER=1). */
  mender?: Record<MenderVersion, MenderState>;
}

export type MenderVersion = 'v4.1.3' | 'main';

export interface MenderState {
  /** That version's FerretDB, holding deviceauth, useradm, deployment_service(-<tid>). */
  uri: string;
  /** Mender's workflows service (API server; a worker runs the test emit_auditlog). */
  workflows: string;
  /** Where that emit_auditlog delivers: GET /entries?version=V&tenant=T. */
  auditSink: string;
  /** Base URLs, http://127.0.0.1:PORT. */
  deviceauth: string;
  useradm: string;
  deployments: string;
  /** deviceauth's Redis, with the version's database index (/1 v4.1.3, /2 main). */
  redisUrl?: string;
  redisKeyPrefix: string;
  /** 'legacy': 0 = unlimited, -1 breaks reads; 'v2': -1 = unlimited, 0 = none. */
  profile: 'legacy' | 'v2';
  deviceauthKeyFile: string;
  useradmKeyFile: string;
  s3: string;
  bucket: string;
  /** Log file per service. */
  logs: Record<string, string>;
}

/** Global setup writes this file; workers find it through TENANTADM_TEST_STATE. */
export const STATE_FILE = process.env.TENANTADM_TEST_STATE ?? path.join(os.tmpdir(), `tenantadm-jest-${process.pid}.json`);
