/** The Lambda entry of registration-callback: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRegistrationCallbackHandler } from './factory.ts';

export const handler = createRegistrationCallbackHandler(
  awsPlatform(),
  loadFunctionConfig('registration-callback'),
);
