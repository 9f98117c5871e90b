import os from 'node:os';
import path from 'node:path';

export interface HarnessState {
  dir: string;
  keyFile: string;
  uri: string;
  pid: number;
  server: 'ferretdb' | 'mongodb';
}

/** Global setup writes this file; workers find it through TENANTADM_TEST_STATE. */
export const STATE_FILE = process.env.TENANTADM_TEST_STATE ?? path.join(os.tmpdir(), `tenantadm-jest-${process.pid}.json`);
