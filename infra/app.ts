/**
 * The Keyless CDK app: `npx cdk synth` (offline, no credentials needed) and `npx cdk deploy --all`.
 * The provider's name, permissions and deployment settings come from keyless.config.json (or the
 * file KEYLESS_CONFIG names), checked before anything is built; `-c key=value` overrides a
 * deployment setting for one deploy. Account (unless the config pins `providerAccountId`) and
 * region come from the CDK CLI's environment.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describeRecorded, providerTemplateVersion } from '#shared/customer-template/version-history.ts';
import { loadProviderConfig, providerConfigPath } from '#shared/provider-config/load.ts';
import { assertPermissions } from '#shared/provider-config/policy-checks.ts';
import { buildKeylessApp } from './stacks/keyless-app.ts';
import { readSettings } from './stacks/settings.ts';

const file = providerConfigPath();
const provider = loadProviderConfig(file);
await assertPermissions(provider, { file });
// The template's version: recorded in the history beside the config when it changed (never under CI).
const templateVersion = providerTemplateVersion(provider, file, process.env);
const recorded = describeRecorded(templateVersion);
if (recorded) process.stderr.write(`${recorded}\n`);

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key), process.env, provider.deployment);
buildKeylessApp(app, settings, {
  account: settings.providerAccountId || process.env.CDK_DEFAULT_ACCOUNT,
  provider: { ...provider, templateVersion },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
