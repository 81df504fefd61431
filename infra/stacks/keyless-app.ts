/**
 * Lays out the stacks: the core in the home region and an ingress stack (a registration topic) in each
 * further region. Ingress stacks deploy first: the core subscribes its callback to their topics.
 */
import { type App, Tags } from 'aws-cdk-lib';
import type {
  ProviderTemplateSettings,
  ResolvedTemplateVersion,
} from '#shared/customer-template/version-history.ts';
import { IngressStack } from './ingress-stack.ts';
import { KeylessStack } from './keyless-stack.ts';
import type { KeylessSettings } from './settings.ts';

/**
 * What the provider's config gives the customer template: its name, its permissions, its role name
 * prefix, and the template version its history records (version-history.ts).
 */
export type ProviderIntegration = ProviderTemplateSettings & {
  templateVersion?: Pick<ResolvedTemplateVersion, 'version' | 'catalogue'>;
};

export interface KeylessApp {
  core: KeylessStack;
  ingress: IngressStack[];
}

export function buildKeylessApp(
  app: App,
  settings: KeylessSettings,
  {
    account,
    functionsRoot,
    provider,
  }: { account?: string | undefined; functionsRoot?: string; provider?: ProviderIntegration } = {},
): KeylessApp {
  const prefix = `Keyless-${settings.stage}`;
  const ingress = settings.ingressRegions.map(
    (region) =>
      new IngressStack(app, `${prefix}-Ingress-${region}`, {
        env: { account, region },
        settings,
        description: `Keyless (${settings.stage}): registration topic for customer stacks in ${region}.`,
      }),
  );
  const core = new KeylessStack(app, prefix, {
    env: { account, region: settings.homeRegion },
    settings,
    ...(functionsRoot ? { functionsRoot } : {}),
    ...(provider ? { provider } : {}),
    description: `Keyless (${settings.stage}): cross-account access without long-lived keys.`,
  });
  for (const stack of ingress)
    core.addStackDependency(stack, 'the callback subscribes to the ingress topics');
  Tags.of(app).add('keyless:stage', settings.stage);
  return { core, ingress };
}
