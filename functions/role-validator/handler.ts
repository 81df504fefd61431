/** The Lambda entry of role-validator: its factory, built once from this environment. */
import { loadFunctionConfig } from '#shared/config.ts';
import { awsPlatform } from '#shared/wiring/platform.ts';
import { createRoleValidatorHandler } from './factory.ts';

export const handler = createRoleValidatorHandler(awsPlatform(), loadFunctionConfig('role-validator'));
