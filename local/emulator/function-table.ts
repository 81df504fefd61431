/**
 * The local runtime's function table: every catalogued function, built by its own factory
 * (functions/<name>/factory.ts) from the local platform and the environment the catalogue declares
 * for it, and nothing more, so a variable the deployed function would lack is missing here too.
 * The only module outside infra/ that imports functions/.
 */
import { createExampleWorkerHandler } from '#functions/example-worker/factory.ts';
import { createMigrationReminderHandler } from '#functions/migration-reminder/factory.ts';
import { createRegistrationCallbackHandler } from '#functions/registration-callback/factory.ts';
import { createRevocationHandler } from '#functions/revocation/factory.ts';
import { createRoleValidatorHandler } from '#functions/role-validator/factory.ts';
import { createSetupApiHandler } from '#functions/setup-api/factory.ts';
import { createTerraformRegistrationHandler } from '#functions/terraform-registration/factory.ts';
import { type FunctionConfig, loadFunctionConfig } from '#shared/config.ts';
import { FUNCTIONS, type FunctionName } from '#shared/wiring/function-catalogue.ts';
import type { Platform } from '#shared/wiring/platform.ts';
import type { Handler, HandlerBuilder } from './functions.ts';

type Factory<N extends FunctionName> = (platform: Platform, config: FunctionConfig<N>) => unknown;

/** A factory per catalogued function: a function missing here, or one not catalogued, is a type error. */
export const HANDLER_FACTORIES: { [N in FunctionName]: Factory<N> } = {
  'setup-api': createSetupApiHandler,
  'registration-callback': createRegistrationCallbackHandler,
  'role-validator': createRoleValidatorHandler,
  revocation: createRevocationHandler,
  'migration-reminder': createMigrationReminderHandler,
  'example-worker': createExampleWorkerHandler,
  'terraform-registration': createTerraformRegistrationHandler,
};

/** The variables of `environment` that the catalogue declares for `name`. */
export function environmentOf(
  name: FunctionName,
  environment: Record<string, string>,
): Record<string, string> {
  // Bundled variables (compiled into the code in Lambda) arrive as ordinary ones here.
  const spec: { environment: readonly string[]; bundled?: readonly string[] } = FUNCTIONS[name];
  const declared = new Set<string>([...spec.environment, ...(spec.bundled ?? [])]);
  return Object.fromEntries(Object.entries(environment).filter(([variable]) => declared.has(variable)));
}

/** The builders of every catalogued function, each given only its declared environment. */
export function localHandlers({
  platformFor,
  environment,
}: {
  platformFor: (name: FunctionName) => Platform;
  /** The environment of the whole system, read when a function is built (its cold start). */
  environment: () => Record<string, string>;
}): Record<FunctionName, HandlerBuilder> {
  const builder =
    <N extends FunctionName>(name: N): HandlerBuilder =>
    () =>
      HANDLER_FACTORIES[name](
        platformFor(name),
        loadFunctionConfig(name, environmentOf(name, environment())),
      ) as Handler;
  return Object.fromEntries(
    (Object.keys(HANDLER_FACTORIES) as FunctionName[]).map((name) => [name, builder(name)]),
  ) as Record<FunctionName, HandlerBuilder>;
}
