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
}

/** Global setup writes this file; workers find it through TENANTADM_TEST_STATE. */
export const STATE_FILE = process.env.TENANTADM_TEST_STATE ?? path.join(os.tmpdir(), `tenantadm-jest-${process.pid}.json`);
