/**
 * The command table: every command, in the order --help lists them. Each command is a folder
 * src/commands/<name>/ with its spec (options, help, examples: data) and its code (run.ts),
 * which is loaded only when that command runs, so --help and every other command stay fast.
 */
import { withRun, type CommandSpec } from '../command';
import { spec as listTenantsSpec } from '../commands/list-tenants/spec';
import { spec as getTenantSpec } from '../commands/get-tenant/spec';
import { spec as auditSpec } from '../commands/audit/spec';
import { spec as auditForwardSpec } from '../commands/audit-forward/spec';
import { spec as createTenantSpec } from '../commands/create-tenant/spec';
import { spec as updateTenantSpec } from '../commands/update-tenant/spec';
import { spec as createUserSpec } from '../commands/create-user/spec';
import { spec as listUsersSpec } from '../commands/list-users/spec';
import { spec as getUserSpec } from '../commands/get-user/spec';
import { spec as deleteUserSpec } from '../commands/delete-user/spec';
import { spec as deleteTenantSpec } from '../commands/delete-tenant/spec';
import { spec as deleteSuspendedTenantsSpec } from '../commands/maintenance-delete-suspended-tenants/spec';
import { spec as suspendTenantsExpiredTrialSpec } from '../commands/maintenance-suspend-tenants-expired-trial/spec';
import { spec as setSsoSpec } from '../commands/set-sso/spec';
import { spec as getSsoSpec } from '../commands/get-sso/spec';
import { spec as setStorageSpec } from '../commands/set-storage/spec';
import { spec as setDeviceLimitSpec } from '../commands/set-device-limit/spec';
import { spec as usageSpec } from '../commands/usage/spec';
import { spec as usageRecordSpec } from '../commands/usage-record/spec';
import { spec as usageReportSpec } from '../commands/usage-report/spec';
import { spec as exportSpec } from '../commands/export/spec';
import { spec as diffSpec } from '../commands/diff/spec';
import { spec as applySpec } from '../commands/apply/spec';
import { spec as migrateSpec } from '../commands/migrate/spec';
import { spec as doctorSpec } from '../commands/doctor/spec';
import { spec as checkSpec } from '../commands/check/spec';
import { spec as repairSpec } from '../commands/repair/spec';
import { spec as completionSpec } from '../commands/completion/spec';
import { spec as optionsSpec } from '../commands/options/spec';
import { spec as completeSpec } from '../commands/__complete/spec';

export const commands: readonly CommandSpec[] = [
  withRun(listTenantsSpec, () => (require('../commands/list-tenants/run') as typeof import('../commands/list-tenants/run')).listTenants),
  withRun(getTenantSpec, () => (require('../commands/get-tenant/run') as typeof import('../commands/get-tenant/run')).getTenant),
  withRun(auditSpec, () => (require('../commands/audit/run') as typeof import('../commands/audit/run')).audit),
  withRun(auditForwardSpec, () => (require('../commands/audit-forward/run') as typeof import('../commands/audit-forward/run')).auditForward),
  withRun(createTenantSpec, () => (require('../commands/create-tenant/run') as typeof import('../commands/create-tenant/run')).createTenant),
  withRun(updateTenantSpec, () => (require('../commands/update-tenant/run') as typeof import('../commands/update-tenant/run')).updateTenant),
  withRun(createUserSpec, () => (require('../commands/create-user/run') as typeof import('../commands/create-user/run')).createUser),
  withRun(listUsersSpec, () => (require('../commands/list-users/run') as typeof import('../commands/list-users/run')).listUsers),
  withRun(getUserSpec, () => (require('../commands/get-user/run') as typeof import('../commands/get-user/run')).getUser),
  withRun(deleteUserSpec, () => (require('../commands/delete-user/run') as typeof import('../commands/delete-user/run')).deleteUser),
  withRun(deleteTenantSpec, () => (require('../commands/delete-tenant/run') as typeof import('../commands/delete-tenant/run')).deleteTenant),
  withRun(deleteSuspendedTenantsSpec, () => (require('../commands/maintenance-delete-suspended-tenants/run') as typeof import('../commands/maintenance-delete-suspended-tenants/run')).deleteSuspendedTenants),
  withRun(suspendTenantsExpiredTrialSpec, () => (require('../commands/maintenance-suspend-tenants-expired-trial/run') as typeof import('../commands/maintenance-suspend-tenants-expired-trial/run')).suspendTenantsExpiredTrial),
  withRun(setSsoSpec, () => (require('../commands/set-sso/run') as typeof import('../commands/set-sso/run')).setSso),
  withRun(getSsoSpec, () => (require('../commands/get-sso/run') as typeof import('../commands/get-sso/run')).getSso),
  withRun(setStorageSpec, () => (require('../commands/set-storage/run') as typeof import('../commands/set-storage/run')).setStorage),
  withRun(setDeviceLimitSpec, () => (require('../commands/set-device-limit/run') as typeof import('../commands/set-device-limit/run')).setDeviceLimit),
  withRun(usageSpec, () => (require('../commands/usage/run') as typeof import('../commands/usage/run')).usage),
  withRun(usageRecordSpec, () => (require('../commands/usage-record/run') as typeof import('../commands/usage-record/run')).usageRecord),
  withRun(usageReportSpec, () => (require('../commands/usage-report/run') as typeof import('../commands/usage-report/run')).usageReportCommand),
  withRun(exportSpec, () => (require('../commands/export/run') as typeof import('../commands/export/run')).exportFleet),
  withRun(diffSpec, () => (require('../commands/diff/run') as typeof import('../commands/diff/run')).diff),
  withRun(applySpec, () => (require('../commands/apply/run') as typeof import('../commands/apply/run')).apply),
  withRun(migrateSpec, () => (require('../commands/migrate/run') as typeof import('../commands/migrate/run')).migrate),
  withRun(doctorSpec, () => (require('../commands/doctor/run') as typeof import('../commands/doctor/run')).doctor),
  withRun(checkSpec, () => (require('../commands/check/run') as typeof import('../commands/check/run')).check),
  withRun(repairSpec, () => (require('../commands/repair/run') as typeof import('../commands/repair/run')).repair),
  withRun(optionsSpec, () => (require('../commands/options/run') as typeof import('../commands/options/run')).options),
  // The completion script is generated from this table, which is handed to it.
  withRun(completionSpec, () => {
    const { completion } = require('../commands/completion/run') as typeof import('../commands/completion/run');
    return (options, deps) => completion(options, deps, commands);
  }),
];

/** Commands for the completion scripts only: parsed like the others, but in no help, man page or completion. */
export const hiddenCommands: readonly CommandSpec[] = [
  withRun(completeSpec, () => (require('../commands/__complete/run') as typeof import('../commands/__complete/run')).complete),
];
