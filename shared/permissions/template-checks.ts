/**
 * The permission checks of a customer template: the provider's `permissions.ongoing` when its
 * config gives them (with their OptionalActions), else the built-in example's statements. Used at
 * synth and by the local runtime, never in a bundle.
 */
import type { ResolvedCustomerTemplateConfig } from '../customer-template/config.ts';
import { defaultOngoingStatements } from '../customer-template/template.ts';
import { type PermissionCheck, permissionChecksOf } from './checks.ts';

export function permissionChecksOfTemplate(config: ResolvedCustomerTemplateConfig): PermissionCheck[] {
  return permissionChecksOf(
    config.permissions?.ongoing ?? {
      statements: config.ongoingPolicyStatements ?? defaultOngoingStatements(),
    },
  );
}
