/**
 * The template catalogue a deployment ships to the functions that speak of upgrades (the setup API,
 * the daily re-validation): the current template version and, for each older one, what updating
 * from it changes. Built at synth from the version history (versions.ts); it travels in the bundle,
 * not in Lambda's 4 KB environment (docs/architecture.md §9.3).
 */
import * as z from 'zod/mini';

export const templateCatalogueSchema = z.strictObject({
  current: z.int().check(z.gte(1)),
  /** The current template's parameters. */
  parameters: z.array(z.string()),
  upgrades: z.record(
    z.string().check(z.regex(/^[1-9]\d*$/)),
    z.strictObject({
      /** What updating from this version to `current` changes, in plain words. */
      changes: z.array(z.string()),
      /** Parameters both versions have: an update keeps the customer's values of these. */
      keptParameters: z.array(z.string()),
    }),
  ),
});
export type TemplateCatalogue = z.output<typeof templateCatalogueSchema>;
export type TemplateUpgrade = TemplateCatalogue['upgrades'][string];

/** A TemplateVersion as the template sends it: a version number, "1", "2"… */
export const TEMPLATE_VERSION_PATTERN = /^[1-9]\d{0,8}$/;

/**
 * What updating from `version` to the current template brings, or undefined when `version` is the
 * current one (or newer: a stack launched from a template this deployment does not know yet).
 */
export function upgradeFrom(
  catalogue: TemplateCatalogue,
  version: string,
): (TemplateUpgrade & { toVersion: number }) | undefined {
  if (!TEMPLATE_VERSION_PATTERN.test(version) || Number(version) >= catalogue.current) return undefined;
  const known = catalogue.upgrades[version];
  return {
    toVersion: catalogue.current,
    // A version the history no longer holds: the update is still right, its changes unknown.
    changes: known?.changes ?? [`Updates the stack from template v${version} to v${catalogue.current}`],
    keptParameters: known?.keptParameters ?? catalogue.parameters,
  };
}
