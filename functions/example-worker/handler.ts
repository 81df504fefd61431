/** The Lambda entry of example-worker: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createExampleWorkerHandler } from './factory.ts';

export const handler = createExampleWorkerHandler(awsPlatform(), loadFunctionConfig('example-worker'));
