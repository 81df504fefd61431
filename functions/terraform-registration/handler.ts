/** The Lambda entry of terraform-registration: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createTerraformRegistrationHandler } from './factory.ts';

export const handler = createTerraformRegistrationHandler(
  awsPlatform(),
  loadFunctionConfig('terraform-registration'),
);
