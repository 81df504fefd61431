/**
 * Variables the CDK stack compiles into a function's bundle (esbuild `define`) rather than into its
 * environment: Lambda caps a function's whole environment at 4 KB, and the template catalogue can
 * outgrow that. They are fixed per deployment like the environment, and read through the same
 * validated config (shared/config.ts). Outside a bundle there are none: tests and the local runtime
 * pass them as ordinary variables.
 */

/** The global the bundler replaces with the variables' object. */
export const BUNDLED_VARIABLES_GLOBAL = 'KEYLESS_BUNDLED_VARIABLES';

declare const KEYLESS_BUNDLED_VARIABLES: Record<string, string> | undefined;

export function bundledVariables(): Record<string, string> {
  return typeof KEYLESS_BUNDLED_VARIABLES === 'undefined' ? {} : KEYLESS_BUNDLED_VARIABLES;
}
