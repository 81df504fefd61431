/** The Lambda entry of revocation: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRevocationHandler } from './factory.ts';

export const handler = createRevocationHandler(awsPlatform(), loadFunctionConfig('revocation'));
