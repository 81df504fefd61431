/**
 * The Keyless CDK app: `npx cdk synth` (offline, no credentials needed) and `npx cdk deploy --all`.
 * Account (unless cdk.json pins `providerAccountId`) and region come from the CDK CLI's environment;
 * stage, regions and limits from context
 * (cdk.json, or `-c stage=prod -c homeRegion=eu-west-1 -c ingressRegions=us-east-1,eu-central-1`).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildKeylessApp } from './stacks/keyless-app.ts';
import { readSettings } from './stacks/settings.ts';

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key));
buildKeylessApp(app, settings, {
  account: settings.providerAccountId || process.env.CDK_DEFAULT_ACCOUNT,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
