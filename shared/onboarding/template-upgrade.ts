/**
 * What a customer does to bring a stack onto the current template (docs/architecture.md §9.3):
 * the changes in words, a console link that opens the stack's update with the new template, and the
 * exact `aws cloudformation update-stack` command that keeps the customer's parameter values.
 */
import { parseStackArn } from '../cloudformation/stack-arn.ts';
import { type TemplateCatalogue, upgradeFrom } from '../customer-template/catalogue.ts';
import type { Connection } from '../domain/connection.ts';
import { consoleOrigin } from './setups.ts';

export interface StackUpgrade {
  fromVersion: string;
  toVersion: string;
  changes: string[];
  updateUrl: string;
  updateCommand: string;
}

export interface UpgradeContext {
  catalogue: TemplateCatalogue;
  /** Where the current template is published (`templates/v<N>.json`). */
  templateUrl: string;
}

/** A value as one POSIX shell word. */
const shellWord = (value: string) =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;

/**
 * The console's update page for a stack, with the new template filled in. AWS documents URL
 * pre-filling for quick-create only; this deep link (`#/stacks/update/template?stackId=…&templateURL=…`)
 * is the console's own route, which AWS's Service Workbench and other integrations also build.
 * The command below is the documented way.
 */
export function stackUpgradeUrl(stackId: string, templateUrl: string, region: string): string {
  const query = new URLSearchParams({ stackId, templateURL: templateUrl });
  return `${consoleOrigin(region)}/cloudformation/home?region=${region}#/stacks/update/template?${query.toString()}`;
}

/** `update-stack` with the new template, every parameter both versions share kept as it is. */
export function updateStackCommand(
  stackId: string,
  templateUrl: string,
  region: string,
  keptParameters: readonly string[],
): string {
  return [
    'aws cloudformation update-stack',
    `--region ${region}`,
    `--stack-name ${shellWord(stackId)}`,
    `--template-url ${shellWord(templateUrl)}`,
    ...(keptParameters.length > 0
      ? [
          `--parameters ${keptParameters.map((name) => `ParameterKey=${name},UsePreviousValue=true`).join(' ')}`,
        ]
      : []),
    // The template names its IAM role (RoleName): CloudFormation requires this acknowledgement.
    '--capabilities CAPABILITY_NAMED_IAM',
  ].join(' ');
}

/** The upgrade a connection's stack can take, or undefined when it runs the current template. */
export function stackUpgradeOf(connection: Connection, context: UpgradeContext): StackUpgrade | undefined {
  if (connection.authMethod !== 'ROLE' || !connection.templateVersion || !connection.stackId)
    return undefined;
  const upgrade = upgradeFrom(context.catalogue, connection.templateVersion);
  const stack = parseStackArn(connection.stackId);
  if (!upgrade || !stack) return undefined;
  return {
    fromVersion: connection.templateVersion,
    toVersion: String(upgrade.toVersion),
    changes: upgrade.changes,
    updateUrl: stackUpgradeUrl(connection.stackId, context.templateUrl, stack.region),
    updateCommand: updateStackCommand(
      connection.stackId,
      context.templateUrl,
      stack.region,
      upgrade.keptParameters,
    ),
  };
}
