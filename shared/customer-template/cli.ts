/**
 * `npm run -s template -- --format json|yaml [--account 123456789012] [--stage dev] [--regions us-east-1,eu-west-1]
 *  [--partition aws] [--out file]`: prints the customer template to stdout and nothing else (or writes --out).
 * `--format terraform --out <dir>` writes the Terraform module of the same role instead (terraform.ts).
 * The provider's name and permissions, stage and regions come from the provider config
 * (keyless.config.json, or KEYLESS_CONFIG: `deployment.stage`, `homeRegion`, `ingressRegions`); the
 * account from --account, PROVIDER_ACCOUNT_ID, the config's `providerAccountId`, then CDK_DEFAULT_ACCOUNT. With none
 * of those it refuses: the template trusts exactly one account, and a guessed one would be wrong in
 * production. `-s` keeps npm's own banner off stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import * as z from 'zod/mini';
import { loadProviderConfig, providerConfigPath } from '../provider-config/load.ts';
import { assertPermissions } from '../provider-config/policy-checks.ts';
import type { ProviderConfig } from '../provider-config/schema.ts';
import { buildCustomerTemplate } from './template.ts';
import { buildTerraformModule } from './terraform.ts';
import { describeRecorded, providerTemplateVersion, templateConfigOf } from './version-history.ts';
import '../zod-locale.ts';

const USAGE =
  'Usage: npm run -s template -- --format json|yaml|terraform --account <provider account id> ' +
  '[--stage <stage>] [--regions <region,region>] [--partition aws|aws-cn|aws-us-gov] [--out <file, or dir for terraform>]';

/** What to do when no provider account is known. */
export const MISSING_ACCOUNT_HINT =
  'The template trusts exactly one provider account, and this command will not guess it. Run ' +
  '`npm run -s template -- --format json --account 123456789012` with your provider account, ' +
  'or set PROVIDER_ACCOUNT_ID, or set "deployment.providerAccountId" in keyless.config.json.';

const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value.map(String) : String(value ?? '').split(','))
    .map((item) => item.trim())
    .filter(Boolean);

export function renderTemplate(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  provider: ProviderConfig = loadProviderConfig(providerConfigPath(env)),
  /** The version the config's history gives this template (version-history.ts). */
  templateVersion = 1,
): string {
  const context: Record<string, unknown> = provider.deployment;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      format: { type: 'string', default: 'json' },
      account: { type: 'string' },
      stage: { type: 'string' },
      regions: { type: 'string' },
      partition: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.format !== 'json' && values.format !== 'yaml' && values.format !== 'terraform')
    throw new Error(`--format must be json, yaml or terraform. ${USAGE}`);
  if (values.format === 'terraform' && !values.out)
    throw new Error(`--format terraform writes a module of four files: give --out <dir>. ${USAGE}`);
  const providerAccountId =
    values.account ||
    env.PROVIDER_ACCOUNT_ID ||
    (typeof context.providerAccountId === 'string' ? context.providerAccountId : '') ||
    env.CDK_DEFAULT_ACCOUNT;
  if (!providerAccountId) throw new Error(MISSING_ACCOUNT_HINT);
  const homeRegion = String(context.homeRegion || env.CDK_DEFAULT_REGION || env.AWS_REGION || 'us-east-1');
  const regions = values.regions
    ? list(values.regions)
    : [...new Set([homeRegion, ...list(context.ingressRegions)])];
  const config = {
    providerAccountId,
    stage: values.stage ?? String(context.stage ?? 'dev'),
    regions,
    ...templateConfigOf(provider),
    templateVersion,
    ...(values.partition ? { partition: values.partition as 'aws' } : {}),
  };
  if (values.format === 'terraform' && values.out) {
    // The registration function is in the home region, whichever regions stacks launch in.
    const module = buildTerraformModule(config, { homeRegion });
    mkdirSync(values.out, { recursive: true });
    for (const [file, text] of Object.entries(module)) writeFileSync(join(values.out, file), text);
    return '';
  }
  const template = buildCustomerTemplate(config);
  const text =
    values.format === 'yaml'
      ? stringify(template, { lineWidth: 0 })
      : `${JSON.stringify(template, null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    return '';
  }
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const file = providerConfigPath(process.env);
    const provider = loadProviderConfig(file);
    await assertPermissions(provider, { file });
    const version = providerTemplateVersion(provider, file, process.env);
    const recorded = describeRecorded(version);
    if (recorded) process.stderr.write(`${recorded}\n`);
    process.stdout.write(renderTemplate(process.argv.slice(2), process.env, provider, version.version));
  } catch (error) {
    const message =
      error instanceof z.core.$ZodError
        ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
        : error instanceof Error
          ? error.message
          : String(error);
    console.error(`Cannot generate the customer template: ${message}`);
    process.exitCode = 1;
  }
}
