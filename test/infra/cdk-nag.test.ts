/** cdk-nag's AwsSolutions pack over the whole app: no unacknowledged finding, and every acknowledgement has a reason. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from './support.ts';

interface Report {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Synthesises with the AwsSolutions checks and returns every unacknowledged finding, as `rule at path`. */
function awsSolutionsFindings(
  build: Parameters<typeof buildTestApp>[0],
  tamper?: (app: ReturnType<typeof buildTestApp>) => void,
) {
  const built = buildTestApp(build);
  tamper?.(built);
  Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app));
  try {
    built.app.synth();
    return [];
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('validation-report.json'))) throw error;
    const report = JSON.parse(
      readFileSync(path.join(built.app.outdir, 'validation-report.json'), 'utf8'),
    ) as Report;
    return report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`),
      ),
    );
  }
}

describe('cdk-nag AwsSolutions checks', () => {
  it('find nothing unacknowledged in the core and ingress stacks', () => {
    expect(awsSolutionsFindings({ context: { ingressRegions: ['us-east-1'] } })).toEqual([]);
  });

  it('find nothing unacknowledged with every optional resource on', () => {
    expect(
      awsSolutionsFindings({
        context: { ingressRegions: ['us-east-1'], acceptForwardedStackEvents: true },
      }),
    ).toEqual([]);
  });

  it('find nothing unacknowledged when the app is synthesised without an account', () => {
    expect(awsSolutionsFindings({ account: undefined })).toEqual([]);
  });

  it('do report a finding nobody acknowledged', () => {
    const findings = awsSolutionsFindings({}, ({ core }) => {
      new sns.Topic(core, 'Unencrypted');
    });
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/SNS[23].* at Keyless-test\/Unencrypted/)]),
    );
  });
});
