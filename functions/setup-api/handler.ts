/** The Lambda entry of setup-api: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createSetupApiHandler } from './factory.ts';

export const handler = createSetupApiHandler(awsPlatform(), loadFunctionConfig('setup-api'));
